//! The seeded pack catalogue, the cards each rarity tier can yield, and the deterministic
//! generators for every id the sandbox makes up (item ids, ULIDs, order ids, transaction hashes).
//!
//! Nothing here is random: every draw and id comes from [`Rng`], seeded from a counter the
//! sandbox increments, so a run with a fixed clock always produces the same ids and pulls.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use parcelkit::phygitals::types;

/// When the seeded packs' expected values were "last computed".
pub(crate) const EV_UPDATED_AT: &str = "2026-03-04T08:00:00Z";

/// The share of the market value the sandbox derives prices back with (`buyback_price / 0.85`).
pub(crate) const SANDBOX_BUYBACK_SHARE: f64 = 0.85;

/// Where the card is sourced from, which decides the shape of its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// Minted on-chain: the id is the mint address (base58, 44 characters).
    Enft,
    /// An eBay listing: the id is `v1|<12 digits>|0`, no mint address.
    Ebay,
}

impl Source {
    /// The wire value of `type`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Source::Enft => "enft",
            Source::Ebay => "ebay",
        }
    }
}

/// A card a tier can yield.
#[derive(Debug)]
pub(crate) struct CardTemplate {
    /// Display name, graded.
    pub(crate) name: &'static str,
    /// The image file's stem on the CDN.
    pub(crate) image: &'static str,
    /// Whether a back image exists.
    pub(crate) has_back: bool,
    /// On-chain or eBay.
    pub(crate) source: Source,
    /// `Year` trait.
    pub(crate) year: &'static str,
    /// `Grader` trait.
    pub(crate) grader: &'static str,
    /// `Grade` trait.
    pub(crate) grade: &'static str,
}

/// One rarity tier of a pack.
#[derive(Debug)]
pub(crate) struct Tier {
    pub(crate) name: &'static str,
    pub(crate) color: &'static str,
    pub(crate) lower: f64,
    pub(crate) upper: f64,
    pub(crate) weight: f64,
    pub(crate) cards: &'static [CardTemplate],
}

/// A seeded pack.
#[derive(Debug)]
pub(crate) struct Pack {
    pub(crate) id: &'static str,
    pub(crate) slug: Option<&'static str>,
    pub(crate) name: &'static str,
    pub(crate) description: &'static str,
    pub(crate) enable: bool,
    pub(crate) in_stock: bool,
    pub(crate) mint_price: f64,
    pub(crate) max_per_mint: u64,
    pub(crate) category: &'static str,
    pub(crate) categories: &'static [&'static str],
    pub(crate) ev: (f64, f64, f64),
    pub(crate) buyback_percent: f64,
    pub(crate) image: &'static str,
    /// On-chain collection of its minted cards.
    pub(crate) collection: &'static str,
    pub(crate) tiers: &'static [Tier],
}

/// The platform every seeded pack belongs to (the documented default of `platform`).
pub(crate) const PLATFORM: &str = "mainnet";

const fn card(
    name: &'static str,
    image: &'static str,
    has_back: bool,
    source: Source,
    year: &'static str,
    grader: &'static str,
    grade: &'static str,
) -> CardTemplate {
    CardTemplate {
        name,
        image,
        has_back,
        source,
        year,
        grader,
        grade,
    }
}

/// The seeded packs: three on sale, one out of stock (the spec's own `Pack` example).
pub(crate) static PACKS: &[Pack] = &[
    Pack {
        id: "7Hq3VkZpM2xRtN8cWbLd5FsYj4GaUe9KmPo1DrTz6Bnv",
        slug: Some("bowman-chrome-2023"),
        name: "Bowman Chrome 2023",
        description: "Graded prospects and autographs from the 2023 Bowman Chrome release.",
        enable: true,
        in_stock: true,
        mint_price: 50.0,
        max_per_mint: 10,
        category: "Baseball",
        categories: &["Baseball"],
        ev: (52.4, 50.1, 54.9),
        buyback_percent: 0.85,
        image: "bowman-chrome-2023",
        collection: "CoLx7sVq2mT9bNe4RwK8hPd3GjYf5Za6UcMr1XtB2nQp",
        tiers: &[
            Tier {
                name: "Common",
                color: "#22C55E",
                lower: 30.0,
                upper: 50.0,
                weight: 80.0,
                cards: &[
                    card(
                        "2023 Bowman Chrome Jackson Holliday Refractor PSA 9",
                        "holliday-refractor",
                        true,
                        Source::Enft,
                        "2023",
                        "PSA",
                        "PSA 9",
                    ),
                    card(
                        "2023 Bowman Chrome Druw Jones 1st Bowman PSA 10",
                        "druw-jones-1st",
                        false,
                        Source::Ebay,
                        "2023",
                        "PSA",
                        "PSA 10",
                    ),
                    card(
                        "2023 Bowman Chrome Dylan Crews Prospect BGS 9.5",
                        "crews-prospect",
                        true,
                        Source::Ebay,
                        "2023",
                        "BGS",
                        "BGS 9.5",
                    ),
                ],
            },
            Tier {
                name: "Rare",
                color: "#A855F7",
                lower: 50.0,
                upper: 120.0,
                weight: 16.0,
                cards: &[
                    card(
                        "2024 Topps Chrome Elly De La Cruz Refractor PSA 9",
                        "delacruz-refractor",
                        false,
                        Source::Ebay,
                        "2024",
                        "PSA",
                        "PSA 9",
                    ),
                    card(
                        "2023 Bowman Chrome Wyatt Langford Auto PSA 9",
                        "langford-auto",
                        true,
                        Source::Enft,
                        "2023",
                        "PSA",
                        "PSA 9",
                    ),
                ],
            },
            Tier {
                name: "Epic",
                color: "#EF4444",
                lower: 120.0,
                upper: 400.0,
                weight: 3.5,
                cards: &[card(
                    "2023 Bowman Chrome Jackson Holliday Auto /99 PSA 10",
                    "holliday-auto-99",
                    true,
                    Source::Enft,
                    "2023",
                    "PSA",
                    "PSA 10",
                )],
            },
            Tier {
                name: "Mythic",
                color: "#F59E0B",
                lower: 400.0,
                upper: 5000.0,
                weight: 0.5,
                cards: &[card(
                    "2023 Bowman Chrome Paul Skenes Superfractor Auto 1/1 BGS 9.5",
                    "skenes-superfractor",
                    true,
                    Source::Enft,
                    "2023",
                    "BGS",
                    "BGS 9.5",
                )],
            },
        ],
    },
    Pack {
        id: "5Jx8RmWq2TvN9cKbP4LdY7FsHg3ZaUe6MkQo1DrBt8Vn",
        slug: Some("prizm-basketball-2023"),
        name: "Prizm Basketball 2023-24",
        description: "Graded rookies and parallels from the 2023-24 Panini Prizm basketball set.",
        enable: true,
        in_stock: true,
        mint_price: 100.0,
        max_per_mint: 5,
        category: "Basketball",
        categories: &["Basketball"],
        ev: (104.8, 98.2, 111.5),
        buyback_percent: 0.85,
        image: "prizm-basketball-2023",
        collection: "PrZm4Kq8vT2nBw7RxL9cHd3GjYf5Sa6UeMr1XtN2bQp",
        tiers: &[
            Tier {
                name: "Common",
                color: "#22C55E",
                lower: 60.0,
                upper: 100.0,
                weight: 75.0,
                cards: &[
                    card(
                        "2023-24 Panini Prizm Scoot Henderson Base RC PSA 10",
                        "henderson-prizm-rc",
                        true,
                        Source::Ebay,
                        "2023",
                        "PSA",
                        "PSA 10",
                    ),
                    card(
                        "2023-24 Panini Prizm Brandon Miller Base RC PSA 10",
                        "miller-prizm-rc",
                        false,
                        Source::Enft,
                        "2023",
                        "PSA",
                        "PSA 10",
                    ),
                ],
            },
            Tier {
                name: "Rare",
                color: "#A855F7",
                lower: 100.0,
                upper: 300.0,
                weight: 22.0,
                cards: &[card(
                    "2023-24 Panini Prizm Victor Wembanyama Base RC PSA 10",
                    "wembanyama-prizm-rc",
                    true,
                    Source::Enft,
                    "2023",
                    "PSA",
                    "PSA 10",
                )],
            },
            Tier {
                name: "Epic",
                color: "#EF4444",
                lower: 300.0,
                upper: 1500.0,
                weight: 3.0,
                cards: &[card(
                    "2023-24 Panini Prizm Victor Wembanyama Silver Prizm RC PSA 10",
                    "wembanyama-silver-rc",
                    true,
                    Source::Enft,
                    "2023",
                    "PSA",
                    "PSA 10",
                )],
            },
        ],
    },
    Pack {
        id: "2Nc7YpQw9XtB4mKvR8LdF5sHj3GaUe6ZkTo1MrWq4Dhx",
        slug: None,
        name: "Mixed Sports Mystery",
        description: "Graded rookie cards from baseball, basketball and football.",
        enable: true,
        in_stock: true,
        mint_price: 10.0,
        max_per_mint: 20,
        category: "Multi-sport",
        categories: &["Baseball", "Basketball", "Football"],
        ev: (10.6, 9.9, 11.4),
        buyback_percent: 0.85,
        image: "mixed-sports-mystery",
        collection: "MxSp9Kq3vT7nBw2RxL4cHd8GjYf6Sa5UeMr1XtN3bQz",
        tiers: &[
            Tier {
                name: "Common",
                color: "#22C55E",
                lower: 5.0,
                upper: 12.0,
                weight: 90.0,
                cards: &[
                    card(
                        "2020 Panini Prizm Justin Herbert RC PSA 9",
                        "herbert-prizm-rc",
                        false,
                        Source::Ebay,
                        "2020",
                        "PSA",
                        "PSA 9",
                    ),
                    card(
                        "2019 Panini Prizm Zion Williamson RC PSA 9",
                        "zion-prizm-rc",
                        true,
                        Source::Ebay,
                        "2019",
                        "PSA",
                        "PSA 9",
                    ),
                ],
            },
            Tier {
                name: "Rare",
                color: "#A855F7",
                lower: 12.0,
                upper: 250.0,
                weight: 10.0,
                cards: &[card(
                    "2018 Topps Update Ronald Acuna Jr. RC PSA 10",
                    "acuna-update-rc",
                    true,
                    Source::Enft,
                    "2018",
                    "PSA",
                    "PSA 10",
                )],
            },
        ],
    },
    Pack {
        id: "3FtWq8NzL5cVbR2mXk7YhJ9dGs4PaUe6KpTo1MrZ8Dnx",
        slug: Some("pokemon-151-graded"),
        name: "Pokemon 151 Graded",
        description: "PSA and CGC graded cards from the Scarlet & Violet 151 set.",
        enable: true,
        in_stock: false,
        mint_price: 25.0,
        max_per_mint: 5,
        category: "Pokemon",
        categories: &["Pokemon"],
        ev: (26.1, 24.8, 27.3),
        buyback_percent: 0.85,
        image: "pokemon-151-graded",
        collection: "PkMn6Kq2vT8nBw3RxL5cHd9GjYf4Sa7UeMr1XtN6bQw",
        tiers: &[
            Tier {
                name: "Common",
                color: "#22C55E",
                lower: 15.0,
                upper: 25.0,
                weight: 85.0,
                cards: &[card(
                    "2023 Pokemon 151 Charmander Illustration Rare PSA 10",
                    "charmander-151-ir",
                    true,
                    Source::Ebay,
                    "2023",
                    "PSA",
                    "PSA 10",
                )],
            },
            Tier {
                name: "Rare",
                color: "#A855F7",
                lower: 25.0,
                upper: 1000.0,
                weight: 15.0,
                cards: &[card(
                    "2023 Pokemon 151 Charizard ex Special Illustration Rare CGC 10",
                    "charizard-151-sir",
                    true,
                    Source::Enft,
                    "2023",
                    "CGC",
                    "CGC 10",
                )],
            },
        ],
    },
];

/// The pack with this id, on any platform.
pub(crate) fn pack(id: &str) -> Option<&'static Pack> {
    PACKS.iter().find(|p| p.id == id)
}

impl Pack {
    /// The pack as `list_available_packs` shows it.
    pub(crate) fn to_api(&self) -> types::Pack {
        types::Pack {
            id: self.id.to_owned(),
            slug: self.slug.map(str::to_owned),
            platform: PLATFORM.to_owned(),
            name: self.name.to_owned(),
            enable: self.enable,
            description: self.description.to_owned(),
            mint_price: money(self.mint_price),
            max_per_mint: std::num::NonZeroU64::new(self.max_per_mint)
                .unwrap_or(std::num::NonZeroU64::MIN),
            in_stock: self.in_stock,
            categories: self.categories.iter().map(|c| c.to_string()).collect(),
            ev: money(self.ev.0),
            min_ev: money(self.ev.1),
            max_ev: money(self.ev.2),
            ev_updated_at: EV_UPDATED_AT.parse().expect("a valid constant"),
            buyback_percent: self.buyback_percent,
            claw_image_url: format!("https://cdn.phygitals.com/packs/{}.png", self.image),
            rarity_distribution: self
                .tiers
                .iter()
                .zip(0..)
                .map(|(t, id)| types::RarityTier {
                    id,
                    name: t.name.to_owned(),
                    color: t.color.to_owned(),
                    lower: t.lower,
                    upper: t.upper,
                    weight: t.weight,
                })
                .collect(),
        }
    }

    /// One pull: a tier by weight, a card of that tier, and a value inside the tier's range
    /// (skewed towards the low end, as real pulls are).
    pub(crate) fn draw(&'static self, rng: &mut Rng) -> Pull {
        let total: f64 = self.tiers.iter().map(|t| t.weight).sum();
        let mut target = rng.unit() * total;
        let mut tier = &self.tiers[0];
        for t in self.tiers {
            tier = t;
            if target < t.weight {
                break;
            }
            target -= t.weight;
        }
        let template = &tier.cards[rng.below(tier.cards.len() as u64) as usize];
        let value = round2(tier.lower + (tier.upper - tier.lower) * rng.unit().powi(3));
        Pull {
            pack: self,
            template,
            buyback_price: round2(value * self.buyback_percent),
        }
    }
}

/// What one pull yielded.
#[derive(Debug, Clone)]
pub(crate) struct Pull {
    pub(crate) pack: &'static Pack,
    pub(crate) template: &'static CardTemplate,
    pub(crate) buyback_price: f64,
}

impl Pull {
    /// The card's metadata: name, images, traits.
    pub(crate) fn metadata(&self) -> types::CardMetadata {
        let t = self.template;
        let attribute = |trait_type: &str, value: &str| types::Attribute {
            trait_type: trait_type.to_owned(),
            value: value.to_owned(),
        };
        types::CardMetadata {
            name: t.name.to_owned(),
            image: self.image(),
            back_image: self.back_image(),
            attributes: vec![
                attribute("Year", t.year),
                attribute("Grader", t.grader),
                attribute("Grade", t.grade),
                attribute("Category", self.pack.category),
            ],
        }
    }

    /// Front image URL.
    pub(crate) fn image(&self) -> String {
        format!(
            "https://cdn.phygitals.com/cards/{}.png",
            self.template.image
        )
    }

    /// Back image URL, when the card has one.
    pub(crate) fn back_image(&self) -> Option<String> {
        self.template.has_back.then(|| {
            format!(
                "https://cdn.phygitals.com/cards/{}-back.png",
                self.template.image
            )
        })
    }

    /// The market value the sandbox reports: derived back from the buyback price, as documented.
    pub(crate) fn value(&self) -> f64 {
        round2(self.buyback_price / SANDBOX_BUYBACK_SHARE)
    }
}

/// A price of the catalogue as the API's exact decimal, in cents.
pub(crate) fn money(amount: f64) -> parcelkit::Decimal {
    parcelkit::Decimal::from_f64_retain(amount)
        .unwrap_or_default()
        .round_dp(2)
}

/// Rounds to cents.
pub(crate) fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A small deterministic generator (SplitMix64): reproducible ids and draws without a crate.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    /// A generator for the `n`th thing made.
    pub(crate) fn seeded(n: u64) -> Rng {
        Rng(n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5EED_0FCA_4D00_BEEF)
    }

    /// The next 64 bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `0..n` (`n > 0`; the tiny modulo bias does not matter here).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// `len` bytes.
    pub(crate) fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u64() as u8).collect()
    }

    /// `len` characters of `alphabet`.
    fn chars(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| alphabet[self.below(alphabet.len() as u64) as usize] as char)
            .collect()
    }
}

const BASE58: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
const CROCKFORD: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// An item id of the card's kind: a 44-character base58 mint address, or an eBay listing id.
pub(crate) fn item_id(source: Source, rng: &mut Rng) -> String {
    match source {
        Source::Enft => rng.chars(BASE58, 44),
        Source::Ebay => format!("v1|{}|0", 100_000_000_000 + rng.below(900_000_000_000)),
    }
}

/// `quote_<ULID>`: the clock's milliseconds and 80 generated bits, in Crockford base32.
pub(crate) fn quote_session_id(now: DateTime<Utc>, rng: &mut Rng) -> String {
    let millis = u128::from(now.timestamp_millis().max(0) as u64) & ((1 << 48) - 1);
    let random = u128::from(rng.next_u64()) << 16 | u128::from(rng.next_u64() & 0xFFFF);
    let ulid = millis << 80 | random;
    let text: String = (0..26)
        .map(|i| CROCKFORD[((ulid >> (5 * (25 - i))) & 31) as usize] as char)
        .collect();
    format!("quote_{text}")
}

/// `order_<16 base64url characters>` (12 bytes).
pub(crate) fn order_id(rng: &mut Rng) -> String {
    format!("order_{}", URL_SAFE_NO_PAD.encode(rng.bytes(12)))
}

/// `sandbox_<base64url>`: a made-up transaction hash (16 bytes, 22 characters).
pub(crate) fn tx_hash(rng: &mut Rng) -> String {
    format!("sandbox_{}", URL_SAFE_NO_PAD.encode(rng.bytes(16)))
}

/// A purchase session: a version-4-shaped UUID, as in the vendor's examples.
pub(crate) fn purchase_session_id(rng: &mut Rng) -> String {
    let bytes: [u8; 16] = rng.bytes(16).try_into().expect("16 bytes");
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// A short shareable purchase id like `_Q7RM`.
pub(crate) fn public_id(rng: &mut Rng) -> String {
    format!("_{}", rng.chars(b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789", 4))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_seeded_pack_and_its_example_json_match_the_spec() {
        for pack in PACKS {
            assert_eq!(pack.id.len(), 44, "{}", pack.id);
            assert!(pack.id.bytes().all(|b| BASE58.contains(&b)), "{}", pack.id);
            assert!(pack.tiers.iter().all(|t| !t.cards.is_empty()));
            crate::spec::SpecApi::Phygitals
                .validate_component("Pack", &serde_json::to_value(pack.to_api()).unwrap())
                .unwrap();
        }
        assert!(PACKS.iter().any(|p| !p.in_stock));
    }

    #[test]
    fn draws_are_deterministic_and_inside_their_tier() {
        let pack = pack("7Hq3VkZpM2xRtN8cWbLd5FsYj4GaUe9KmPo1DrTz6Bnv").unwrap();
        for n in 0..500 {
            let a = pack.draw(&mut Rng::seeded(n));
            let b = pack.draw(&mut Rng::seeded(n));
            assert_eq!(a.template.name, b.template.name);
            assert_eq!(a.buyback_price, b.buyback_price);
            assert!(a.buyback_price >= round2(30.0 * 0.85) && a.buyback_price <= 5000.0);
        }
    }

    #[test]
    fn ids_have_their_documented_shapes() {
        let mut rng = Rng::seeded(7);
        let quote = quote_session_id("2026-03-04T09:15:00Z".parse().unwrap(), &mut rng);
        assert_eq!(quote.len(), "quote_".len() + 26);
        assert!(
            quote["quote_".len()..]
                .bytes()
                .all(|b| CROCKFORD.contains(&b))
        );
        assert!(quote.starts_with("quote_01K"), "{quote}");
        let order = order_id(&mut rng);
        assert_eq!(order.len(), "order_".len() + 16);
        assert!(tx_hash(&mut rng).starts_with("sandbox_"));
        let ebay = item_id(Source::Ebay, &mut rng);
        assert_eq!(ebay.len(), "v1|".len() + 12 + "|0".len(), "{ebay}");
        assert_eq!(item_id(Source::Enft, &mut rng).len(), 44);
        assert!(uuid::Uuid::parse_str(&purchase_session_id(&mut rng)).is_ok());
        assert_eq!(public_id(&mut rng).len(), 5);
    }
}
