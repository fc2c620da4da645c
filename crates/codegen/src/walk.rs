//! One traversal of the syntax tree, shared by every rewrite.
//!
//! syn's `visit_mut` functions are generic over the visitor, so each `impl VisitMut` compiled its
//! own copy of the whole traversal (~180 functions); with twenty-odd rewrites that copy was ~40 %
//! of this crate's machine code, and this crate is compiled in every build of every application
//! that depends on parcelkit. A rewrite implements [`Rewrite`] instead: the same method names and
//! the same "override a hook, call [`walk`](self)'s function of the same name to descend" shape,
//! and all rewrites reach syn's traversal through one visitor, [`Walker`], which holds the
//! rewrite as a trait object. The hooks are the node kinds the rewrites use (listed at the end of
//! this file); a rewrite that needs another adds it there.
//!
//! ```
//! use parcelkit_codegen::walk::{self, Rewrite};
//!
//! /// Counts the calls in a file, nested ones included.
//! struct Calls(usize);
//! impl Rewrite for Calls {
//!     fn visit_expr_call_mut(&mut self, call: &mut syn::ExprCall) {
//!         self.0 += 1;
//!         walk::visit_expr_call_mut(self, call);
//!     }
//! }
//! let mut file: syn::File = syn::parse_quote! { fn f() { a(b(1), c()); } };
//! let mut calls = Calls(0);
//! calls.visit_file_mut(&mut file);
//! assert_eq!(calls.0, 3);
//! ```

use syn::visit_mut::{self, VisitMut};

/// Gives any [`Rewrite`] as a trait object, so that the provided methods (where `Self` may be
/// unsized) can hand it to [`Walker`].
pub trait AsDynRewrite {
    /// `self` as a `dyn Rewrite`.
    fn as_dyn_rewrite(&mut self) -> &mut dyn Rewrite;
}

impl<T: Rewrite> AsDynRewrite for T {
    fn as_dyn_rewrite(&mut self) -> &mut dyn Rewrite {
        self
    }
}

/// syn's visitor that forwards each hook of [`Rewrite`] to the rewrite it holds; every other node
/// is walked by syn's code, compiled once for this type.
pub struct Walker<'a>(pub &'a mut dyn Rewrite);

/// Declares, for each hook: the [`Rewrite`] method (by default: descend), [`Walker`]'s forwarding
/// override, and the free function a rewrite calls to descend after doing its part.
macro_rules! hooks {
    ($($method:ident: $node:ty,)*) => {
        /// A rewrite of the syntax tree: override the hooks it needs, under the names of syn's
        /// [`VisitMut`], and descend into a node with this module's function of the same name.
        /// A hook that does not descend leaves the node's children unvisited, as with syn.
        pub trait Rewrite: AsDynRewrite {
            $(
                #[doc = concat!("Visits a `", stringify!($node), "`; by default descends into it.")]
                fn $method(&mut self, node: &mut $node) {
                    visit_mut::$method(&mut Walker(self.as_dyn_rewrite()), node);
                }
            )*
        }

        impl VisitMut for Walker<'_> {
            $(
                fn $method(&mut self, node: &mut $node) {
                    self.0.$method(node);
                }
            )*
        }

        $(
            #[doc = concat!("Descends into a `", stringify!($node), "`: visits its children with `rewrite`.")]
            pub fn $method<R: Rewrite + ?Sized>(rewrite: &mut R, node: &mut $node) {
                visit_mut::$method(&mut Walker(rewrite.as_dyn_rewrite()), node);
            }
        )*
    };
}

hooks! {
    visit_file_mut: syn::File,
    visit_item_mod_mut: syn::ItemMod,
    visit_item_impl_mut: syn::ItemImpl,
    visit_item_struct_mut: syn::ItemStruct,
    visit_item_enum_mut: syn::ItemEnum,
    visit_impl_item_fn_mut: syn::ImplItemFn,
    visit_trait_item_fn_mut: syn::TraitItemFn,
    visit_type_param_mut: syn::TypeParam,
    visit_predicate_type_mut: syn::PredicateType,
    visit_field_mut: syn::Field,
    visit_attribute_mut: syn::Attribute,
    visit_block_mut: syn::Block,
    visit_stmt_mut: syn::Stmt,
    visit_expr_mut: syn::Expr,
    visit_expr_call_mut: syn::ExprCall,
    visit_field_value_mut: syn::FieldValue,
    visit_arm_mut: syn::Arm,
    visit_macro_mut: syn::Macro,
}
