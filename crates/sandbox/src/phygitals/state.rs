//! The Phygitals sandbox's in-memory state and the rules of every operation, apart from HTTP:
//! each method takes the request's JSON and answers the response's JSON or a [`Refusal`].
//!
//! State is kept per partner (API key): users, items, purchases, quote sessions and orders of
//! one key are invisible to every other key. Only the card catalogue (`get_card`) is shared, as
//! the vendor's listing ids and mint addresses are.

use std::collections::{BTreeMap, HashMap};

use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use parcelkit::phygitals::types;
use serde_json::Value;

use super::address::{self, Invalid};
use super::catalogue::{self, Pull, Rng, money};

/// How long a quote session can be used (sandbox: 15 minutes).
pub(crate) const QUOTE_LIFETIME: Duration = Duration::minutes(15);

/// How long an item can be sold back after its purchase (sandbox: 7 days).
pub(crate) const BUYBACK_WINDOW: Duration = Duration::days(7);

/// Why an operation was refused: a documented `{"error"}` body, or an invalid destination.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Refusal {
    /// `{"error": message}` with this status.
    Error(StatusCode, &'static str),
    /// 400 `Invalid destination address`, with `details` and maybe `suggested`.
    Destination(Invalid),
}

/// Messages, exactly as the spec documents them.
pub(crate) mod msg {
    pub(crate) const TRANSACTION_FAILED: &str = "Transaction failed";
    pub(crate) const USER_NOT_FOUND: &str = "User not found";
    pub(crate) const CARD_NOT_FOUND: &str = "Card not found";
    pub(crate) const ITEM_NOT_FOUND: &str = "Item not found";
    pub(crate) const ITEM_HAS_EXPIRED: &str = "Item has expired";
    pub(crate) const ITEM_IDS_REQUIRED: &str = "item_ids is required";
    pub(crate) const COUNTRY_NOT_SUPPORTED: &str = "Country not supported";
    pub(crate) const NO_SHIPPABLE_ITEMS: &str = "No shippable items in request";
    pub(crate) const QUOTE_ID_REQUIRED: &str = "quote_id is required";
    pub(crate) const QUOTE_EXPIRED: &str = "Quote expired";
    pub(crate) const ITEM_ALREADY_SHIPPED: &str = "Item already shipped";
    pub(crate) const ORDER_NOT_FOUND: &str = "Order not found";
}

fn bad(message: &'static str) -> Refusal {
    Refusal::Error(StatusCode::BAD_REQUEST, message)
}

/// Where an item stands.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ItemState {
    /// In the user's inventory.
    Available,
    /// Sold back: gone for good.
    SoldBack,
    /// Locked in this shipping order.
    Shipped(String),
}

/// A pulled item.
#[derive(Debug, Clone)]
struct Item {
    id: String,
    pull: Pull,
    mint_address: Option<String>,
    purchased_at: DateTime<Utc>,
    /// Order of the pull within the partner (newest pulls are listed first).
    seq: u64,
    state: ItemState,
}

impl Item {
    fn buyback_expires_at(&self) -> DateTime<Utc> {
        self.purchased_at + BUYBACK_WINDOW
    }

    fn is_enft(&self) -> bool {
        self.pull.template.source == catalogue::Source::Enft
    }

    /// The `type`, `collection_address` and `token_standard` fields.
    fn chain_fields(&self) -> (Option<types::ItemType>, Option<String>, Option<String>) {
        let enft = self.is_enft();
        let source = self.pull.template.source.as_str();
        (
            Some(
                source
                    .parse()
                    .unwrap_or_else(|_| types::ItemType::Unknown(source.to_owned())),
            ),
            enft.then(|| self.pull.pack.collection.to_owned()),
            enft.then(|| "ProgrammableNonFungible".to_owned()),
        )
    }

    fn inventory_item(&self) -> types::InventoryItem {
        let (type_, collection_address, token_standard) = self.chain_fields();
        types::InventoryItem {
            id: self.id.clone(),
            claw_id: self.pull.pack.id.to_owned(),
            claw_slug: self.pull.pack.slug.map(str::to_owned),
            buyback_price: money(self.pull.buyback_price),
            mint_address: self.mint_address.clone(),
            type_,
            collection_address,
            token_standard,
            purchased_at: whole_seconds(self.purchased_at),
            buyback_expires_at: Some(whole_seconds(self.buyback_expires_at())),
            content: types::ItemContent {
                metadata: self.pull.metadata(),
                links: Some(types::ContentLinks {
                    image: Some(self.pull.image()),
                    back_image: self.pull.back_image(),
                }),
            },
        }
    }

    fn fulfilled_nft(&self) -> types::FulfilledNft {
        let (type_, collection_address, token_standard) = self.chain_fields();
        types::FulfilledNft {
            id: self.id.clone(),
            buyback_price: money(self.pull.buyback_price),
            mint_address: self.mint_address.clone(),
            type_,
            collection_address,
            token_standard,
            content: types::ItemContent {
                metadata: self.pull.metadata(),
                links: None,
            },
        }
    }

    fn recent_pull(&self) -> types::RecentPull {
        types::RecentPull {
            id: self.id.clone(),
            claw_id: self.pull.pack.id.to_owned(),
            claw_slug: self.pull.pack.slug.map(str::to_owned),
            value: money(self.pull.value()),
            buyback_price: money(self.pull.buyback_price),
            created_at: whole_seconds(self.purchased_at),
            metadata: self.pull.metadata(),
        }
    }

    fn order_item(&self) -> types::OrderItem {
        types::OrderItem {
            item_id: self.id.clone(),
            name: self.pull.template.name.to_owned(),
            image: self.pull.image(),
            back_image: self.pull.back_image(),
        }
    }
}

/// A generated type as the JSON the routes send (serializing those cannot fail).
fn typed<T: serde::Serialize>(value: T) -> Value {
    serde_json::to_value(value).expect("the generated types serialize")
}

/// Timestamps as the vendor writes them: whole seconds.
fn whole_seconds(at: DateTime<Utc>) -> parcelkit::Timestamp {
    use chrono::SubsecRound;
    crate::clock::api_time(at.trunc_subsecs(0))
}

#[derive(Debug, Clone)]
struct Purchase {
    user_id: String,
    public_id: String,
    tx_hash: String,
    item_ids: Vec<String>,
}

/// A rate of a quote session.
#[derive(Debug, Clone)]
struct Rate {
    key: &'static str,
    carrier: &'static str,
    service: &'static str,
    amount: f64,
    days: (u32, u32),
    insured: bool,
}

#[derive(Debug, Clone)]
struct QuoteSession {
    item_ids: Vec<String>,
    /// Exactly as sent, unknown keys included.
    destination: Value,
    rates: Vec<Rate>,
    expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
struct Order {
    rate: Rate,
    destination: Value,
    item_ids: Vec<String>,
    created_at: DateTime<Utc>,
}

/// One partner's world.
#[derive(Debug, Default)]
struct Partner {
    /// User id to the ids of the items pulled for them, in pull order.
    users: BTreeMap<String, Vec<String>>,
    items: HashMap<String, Item>,
    purchases: HashMap<String, Purchase>,
    quotes: HashMap<String, QuoteSession>,
    orders: HashMap<String, Order>,
    pulls: u64,
}

/// The whole sandbox state.
#[derive(Debug, Default)]
pub(crate) struct State {
    partners: HashMap<String, Partner>,
    /// Every card ever pulled, by item id (the vendor's catalogue is global).
    cards: HashMap<String, Pull>,
    /// Seeds the generator for the next made-up thing.
    counter: u64,
}

/// The shipping rates the sandbox offers for `items` items: the spec's example prices for one
/// item, and a surcharge per additional item.
fn rates(items: usize) -> Vec<Rate> {
    let extra = items.saturating_sub(1) as f64;
    vec![
        Rate {
            key: "standard",
            carrier: "USPS",
            service: "Ground Advantage",
            amount: catalogue::round2(6.45 + 1.0 * extra),
            days: (3, 5),
            insured: false,
        },
        Rate {
            key: "priority",
            carrier: "USPS",
            service: "Priority Mail",
            amount: catalogue::round2(10.2 + 1.5 * extra),
            days: (1, 3),
            insured: true,
        },
        Rate {
            key: "express",
            carrier: "FedEx",
            service: "2Day",
            amount: catalogue::round2(19.85 + 2.5 * extra),
            days: (2, 2),
            insured: true,
        },
    ]
}

/// A string field of an object body (`None` when absent or not a string).
fn string<'a>(body: &'a Value, key: &str) -> Option<&'a str> {
    body.get(key).and_then(Value::as_str)
}

impl State {
    fn rng(&mut self) -> Rng {
        self.counter += 1;
        Rng::seeded(self.counter)
    }

    fn partner(&mut self, key: &str) -> &mut Partner {
        self.partners.entry(key.to_owned()).or_default()
    }

    /// A made-up id, regenerated until it is not in use.
    fn fresh(
        &mut self,
        make: impl Fn(&mut Rng) -> String,
        taken: impl Fn(&Self, &str) -> bool,
    ) -> String {
        loop {
            let id = make(&mut self.rng());
            if !taken(self, &id) {
                return id;
            }
        }
    }

    /// `list_available_packs`.
    pub(crate) fn packs(platform: &str) -> Value {
        let packs: Vec<types::Pack> = catalogue::PACKS
            .iter()
            .filter(|_| platform == catalogue::PLATFORM)
            .map(catalogue::Pack::to_api)
            .collect();
        typed(packs)
    }

    /// `init_purchase`: draws `amount` cards into the user's inventory at once. Refusals use
    /// `Transaction failed` (the spec documents no message for them).
    pub(crate) fn init_purchase(
        &mut self,
        key: &str,
        body: &Value,
        now: DateTime<Utc>,
    ) -> Result<(String, Value), Refusal> {
        let refused = bad(msg::TRANSACTION_FAILED);
        let pack = string(body, "id")
            .and_then(catalogue::pack)
            .ok_or(refused.clone())?;
        let amount = body
            .get("amount")
            .and_then(|a| {
                a.as_u64().or_else(|| {
                    a.as_f64()
                        .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                        .map(|f| f as u64)
                })
            })
            .filter(|a| (1..=pack.max_per_mint).contains(a))
            .ok_or(refused.clone())?;
        let user_id = string(body, "user_id")
            .filter(|u| !u.is_empty())
            .ok_or(refused.clone())?;
        if !pack.enable || !pack.in_stock {
            return Err(refused);
        }

        let session_id = self.fresh(catalogue::purchase_session_id, |s, id| {
            s.partners.values().any(|p| p.purchases.contains_key(id))
        });
        let mut nfts = Vec::new();
        let mut item_ids = Vec::new();
        for _ in 0..amount {
            let pull = pack.draw(&mut self.rng());
            let source = pull.template.source;
            let id = self.fresh(
                |rng| catalogue::item_id(source, rng),
                |s, id| s.cards.contains_key(id),
            );
            self.cards.insert(id.clone(), pull.clone());
            let partner = self.partner(key);
            partner.pulls += 1;
            let item = Item {
                id: id.clone(),
                mint_address: (source == catalogue::Source::Enft).then(|| id.clone()),
                pull,
                purchased_at: now,
                seq: partner.pulls,
                state: ItemState::Available,
            };
            nfts.push(types::PurchasedNft {
                id: id.clone(),
                content: types::PurchasedNftContent {
                    metadata: item.pull.metadata(),
                },
                buyback_price: money(item.pull.buyback_price),
            });
            partner.items.insert(id.clone(), item);
            item_ids.push(id);
        }
        let mut rng = self.rng();
        let purchase = Purchase {
            user_id: user_id.to_owned(),
            public_id: catalogue::public_id(&mut rng),
            tx_hash: catalogue::tx_hash(&mut rng),
            item_ids: item_ids.clone(),
        };
        let partner = self.partner(key);
        partner
            .users
            .entry(user_id.to_owned())
            .or_default()
            .extend(item_ids);
        partner.purchases.insert(session_id.clone(), purchase);
        let response = typed(types::PurchaseInitResponse {
            session_id: session_id.clone(),
            nfts,
        });
        Ok((session_id, response))
    }

    /// `get_purchase_status`: always fulfilled; an unknown session is `Transaction failed`.
    pub(crate) fn purchase_status(&mut self, key: &str, body: &Value) -> Result<Value, Refusal> {
        let partner = self.partner(key);
        let (session_id, purchase) = string(body, "session_id")
            .and_then(|id| partner.purchases.get_key_value(id))
            .ok_or(bad(msg::TRANSACTION_FAILED))?;
        let nfts = purchase
            .item_ids
            .iter()
            .filter_map(|id| partner.items.get(id))
            .map(Item::fulfilled_nft)
            .collect();
        Ok(typed(types::PurchaseStatusComplete {
            result: types::PurchaseResult {
                session_id: session_id.clone(),
                user_id: purchase.user_id.clone(),
                public_id: purchase.public_id.clone(),
                nfts,
                tx_hash: purchase.tx_hash.clone(),
            },
        }))
    }

    /// `get_inventory`: the user's available items; `User not found` when the partner never
    /// bought for that user.
    pub(crate) fn inventory(&mut self, key: &str, user_id: &str) -> Result<Value, Refusal> {
        let partner = self.partner(key);
        let ids = partner
            .users
            .get(user_id)
            .ok_or(Refusal::Error(StatusCode::NOT_FOUND, msg::USER_NOT_FOUND))?;
        let items = ids
            .iter()
            .filter_map(|id| partner.items.get(id))
            .filter(|item| item.state == ItemState::Available)
            .map(Item::inventory_item)
            .collect();
        Ok(typed(types::Inventory {
            user_id: user_id.to_owned(),
            items,
        }))
    }

    /// `get_card`: any card ever pulled in this sandbox.
    pub(crate) fn card(&self, item_id: &str) -> Result<Value, Refusal> {
        let pull = self
            .cards
            .get(item_id)
            .ok_or(Refusal::Error(StatusCode::NOT_FOUND, msg::CARD_NOT_FOUND))?;
        Ok(typed(types::Card {
            id: item_id.to_owned(),
            name: pull.template.name.to_owned(),
            image: pull.image(),
            back_image: pull.back_image(),
            fmv: money(pull.value()),
            metadata: pull.metadata(),
        }))
    }

    /// `list_recent_pulls`: this partner's pulls, newest first, of the packs in `claw_ids`
    /// (all when empty), at most `limit`.
    pub(crate) fn recent_pulls(&mut self, key: &str, claw_ids: &[String], limit: usize) -> Value {
        let partner = self.partner(key);
        let mut pulls: Vec<&Item> = partner
            .items
            .values()
            .filter(|item| claw_ids.is_empty() || claw_ids.iter().any(|c| c == item.pull.pack.id))
            .collect();
        pulls.sort_by(|a, b| b.purchased_at.cmp(&a.purchased_at).then(b.seq.cmp(&a.seq)));
        let pulls: Vec<types::RecentPull> = pulls
            .into_iter()
            .take(limit)
            .map(Item::recent_pull)
            .collect();
        typed(pulls)
    }

    /// `buyback_item`: pays the item's `buyback_price` and takes it out of the inventory.
    pub(crate) fn buyback(
        &mut self,
        key: &str,
        body: &Value,
        now: DateTime<Utc>,
    ) -> Result<(String, Value), Refusal> {
        let partner = self.partner(key);
        let item = string(body, "item_id")
            .and_then(|id| partner.items.get_mut(id))
            .filter(|item| item.state == ItemState::Available)
            .ok_or(bad(msg::ITEM_NOT_FOUND))?;
        if now > item.buyback_expires_at() {
            return Err(bad(msg::ITEM_HAS_EXPIRED));
        }
        item.state = ItemState::SoldBack;
        Ok((
            item.id.clone(),
            typed(types::BuybackResponse {
                success: true,
                amount: money(item.pull.buyback_price),
            }),
        ))
    }

    /// `quote_shipping`. Checks, in order: `item_ids`, the destination's presence, its country
    /// (two characters), its address (see [`address`]), then the items: unknown, sold back or
    /// another partner's is `Item not found`; items already locked in an order are left out,
    /// and when none is left the answer is `No shippable items in request`.
    pub(crate) fn quote(
        &mut self,
        key: &str,
        body: &Value,
        now: DateTime<Utc>,
    ) -> Result<(String, Value), Refusal> {
        let requested: Vec<&str> = body
            .get("item_ids")
            .and_then(Value::as_array)
            .filter(|ids| !ids.is_empty())
            .and_then(|ids| ids.iter().map(Value::as_str).collect::<Option<Vec<_>>>())
            .ok_or(bad(msg::ITEM_IDS_REQUIRED))?;
        let Some(destination) = body.get("destination").and_then(Value::as_object) else {
            return Err(Refusal::Destination(Invalid {
                details: "The destination is missing or is not an address object.".to_owned(),
                suggested: None,
            }));
        };
        let two_letters = destination
            .get("country")
            .and_then(Value::as_str)
            .is_some_and(|c| c.chars().count() == 2);
        if !two_letters {
            return Err(Refusal::Error(
                StatusCode::UNPROCESSABLE_ENTITY,
                msg::COUNTRY_NOT_SUPPORTED,
            ));
        }
        address::validate(destination).map_err(Refusal::Destination)?;

        let partner = self.partner(key);
        let mut shippable: Vec<String> = Vec::new();
        for id in requested {
            match partner.items.get(id).map(|item| &item.state) {
                None | Some(ItemState::SoldBack) => return Err(bad(msg::ITEM_NOT_FOUND)),
                Some(ItemState::Shipped(_)) => {}
                Some(ItemState::Available) => {
                    if !shippable.iter().any(|s| s == id) {
                        shippable.push(id.to_owned());
                    }
                }
            }
        }
        if shippable.is_empty() {
            return Err(bad(msg::NO_SHIPPABLE_ITEMS));
        }

        let session_id = self.fresh(
            |rng| catalogue::quote_session_id(now, rng),
            |s, id| s.partners.values().any(|p| p.quotes.contains_key(id)),
        );
        let session = QuoteSession {
            rates: rates(shippable.len()),
            item_ids: shippable,
            destination: Value::Object(destination.clone()),
            expires_at: now + QUOTE_LIFETIME,
        };
        let quotes = session
            .rates
            .iter()
            .map(|r| {
                Some(types::ShippingQuote {
                    id: format!("{session_id}_rate_{}", r.key).parse().ok()?,
                    carrier: r.carrier.to_owned(),
                    service: r.service.to_owned(),
                    amount: money(r.amount),
                    estimated_days_min: r.days.0.into(),
                    estimated_days_max: r.days.1.into(),
                    insured: r.insured,
                })
            })
            .collect::<Option<Vec<_>>>()
            // Session ids and rate keys are the sandbox's own, made to the quote id's rule.
            .ok_or(Refusal::Error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "An unexpected error occurred",
            ))?;
        let response = typed(types::QuoteResponse {
            session_id: session_id.clone(),
            expires_at: whole_seconds(session.expires_at),
            quotes,
        });
        self.partner(key).quotes.insert(session_id.clone(), session);
        Ok((session_id, response))
    }

    /// `request_shipping`: turns a rate into a `queued` order and locks the session's items.
    /// A session item sold back since the quote makes the quote unusable (`Quote expired`).
    pub(crate) fn request_shipping(
        &mut self,
        key: &str,
        body: &Value,
        now: DateTime<Utc>,
    ) -> Result<(String, Value), Refusal> {
        let quote_id = string(body, "quote_id")
            .filter(|q| q.contains("_rate_"))
            .ok_or(bad(msg::QUOTE_ID_REQUIRED))?;
        // The last `_rate_` separates, as the client's `QuoteId` splits.
        let at = quote_id.rfind("_rate_").unwrap_or_default();
        let (session_id, rate_key) = (&quote_id[..at], &quote_id[at + "_rate_".len()..]);

        let partner = self.partner(key);
        let session = partner
            .quotes
            .get(session_id)
            .filter(|s| now <= s.expires_at)
            .ok_or(bad(msg::QUOTE_EXPIRED))?;
        let rate = session
            .rates
            .iter()
            .find(|r| r.key == rate_key)
            .ok_or(bad(msg::QUOTE_EXPIRED))?
            .clone();
        let states: Vec<Option<&ItemState>> = session
            .item_ids
            .iter()
            .map(|id| partner.items.get(id).map(|item| &item.state))
            .collect();
        if states
            .iter()
            .any(|s| matches!(s, Some(ItemState::Shipped(_))))
        {
            return Err(bad(msg::ITEM_ALREADY_SHIPPED));
        }
        if states.iter().any(|s| s != &Some(&ItemState::Available)) {
            return Err(bad(msg::QUOTE_EXPIRED));
        }
        let order = Order {
            rate,
            destination: session.destination.clone(),
            item_ids: session.item_ids.clone(),
            created_at: now,
        };

        let order_id = self.fresh(catalogue::order_id, |s, id| {
            s.partners.values().any(|p| p.orders.contains_key(id))
        });
        let partner = self.partner(key);
        for id in &order.item_ids {
            if let Some(item) = partner.items.get_mut(id) {
                item.state = ItemState::Shipped(order_id.clone());
            }
        }
        partner.orders.insert(order_id.clone(), order);
        let response = typed(types::ShipResponse {
            order_id: order_id.parse().map_err(|_| {
                Refusal::Error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "An unexpected error occurred",
                )
            })?,
            status: types::ShipResponseStatus::Success,
        });
        Ok((order_id, response))
    }

    /// `get_shipping_order`: this partner's order, `queued` for good.
    pub(crate) fn order(&mut self, key: &str, order_id: &str) -> Result<Value, Refusal> {
        let partner = self.partner(key);
        let order = partner
            .orders
            .get(order_id)
            .ok_or(Refusal::Error(StatusCode::NOT_FOUND, msg::ORDER_NOT_FOUND))?;
        let items = order
            .item_ids
            .iter()
            .filter_map(|id| partner.items.get(id))
            .map(Item::order_item)
            .collect();
        // What quote_shipping accepted, so it reads back; a failure is the sandbox's own bug.
        let unexpected = Refusal::Error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "An unexpected error occurred",
        );
        Ok(typed(types::ShippingOrder {
            order_id: order_id.parse().map_err(|_| unexpected.clone())?,
            status: types::ShippingOrderStatus::Queued,
            carrier: order.rate.carrier.to_owned(),
            service: order.rate.service.to_owned(),
            tracking_number: None,
            tracking_url: None,
            amount: money(order.rate.amount),
            currency: types::ShippingOrderCurrency::Usd,
            destination: serde_json::from_value(order.destination.clone())
                .map_err(|_| unexpected)?,
            items,
            created_at: whole_seconds(order.created_at),
            shipped_at: None,
            delivered_at: None,
            error_message: None,
        }))
    }
}
