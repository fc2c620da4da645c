//! The seeded catalogue: four real Nordic carriers, their services and add-ons, a handful of
//! service points each, and a deterministic price list for rates.

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc, Weekday};
use parcelkit::smartsend::types;

use crate::clock::{api_date, api_time};
use crate::smartsend::problem::Language;

/// A carrier of the catalogue.
pub(super) struct CarrierInfo {
    pub code: &'static str,
    pub name: &'static str,
    /// Countries it delivers to.
    pub countries: &'static [&'static str],
    /// Track-and-trace URL; `{code}` is replaced by the tracking code.
    pub tracking_url: &'static str,
    /// Prefix of its tracking codes; digits from the parcel's uuid fill the rest.
    pub tracking_prefix: &'static str,
    /// Length of its tracking codes.
    pub tracking_len: usize,
}

/// A service of a carrier.
pub(super) struct ServiceInfo {
    pub carrier: &'static str,
    pub code: &'static str,
    pub name: &'static str,
    pub is_pickup: bool,
    pub is_return: bool,
    /// Net price of the first kilogram, and of each further started kilogram (minor units).
    pub base_ore: i64,
    pub per_kg_ore: i64,
    /// Heaviest total weight it takes, in grams.
    pub max_grams: f64,
    /// Working days from shipping to delivery.
    pub transit_days: i64,
    pub addons: &'static [&'static str],
}

pub(super) const CARRIERS: &[CarrierInfo] = &[
    CarrierInfo {
        code: "postnord",
        name: "PostNord",
        countries: &["DK", "SE", "NO", "FI"],
        tracking_url: "https://tracking.postnord.com/dk/?id={code}",
        tracking_prefix: "00370723",
        tracking_len: 20,
    },
    CarrierInfo {
        code: "gls",
        name: "GLS",
        countries: &["DK", "SE", "NO", "DE"],
        tracking_url: "https://gls-group.com/DK/da/find-pakke?match={code}",
        tracking_prefix: "",
        tracking_len: 11,
    },
    CarrierInfo {
        code: "dao",
        name: "DAO",
        countries: &["DK"],
        tracking_url: "https://www.dao.as/privat/find-din-pakke?stregkode={code}",
        tracking_prefix: "00057126",
        tracking_len: 14,
    },
    CarrierInfo {
        code: "bring",
        name: "Bring",
        countries: &["NO", "SE", "DK", "FI"],
        tracking_url: "https://tracking.bring.com/tracking/{code}",
        tracking_prefix: "370722",
        tracking_len: 17,
    },
];

pub(super) const SERVICES: &[ServiceInfo] = &[
    ServiceInfo {
        carrier: "postnord",
        code: "home",
        name: "MyPack Home",
        is_pickup: false,
        is_return: false,
        base_ore: 5900,
        per_kg_ore: 400,
        max_grams: 35_000.0,
        transit_days: 1,
        addons: &["sms_notification", "email_notification", "flex_delivery"],
    },
    ServiceInfo {
        carrier: "postnord",
        code: "collect",
        name: "MyPack Collect",
        is_pickup: true,
        is_return: false,
        base_ore: 3920,
        per_kg_ore: 300,
        max_grams: 20_000.0,
        transit_days: 1,
        addons: &["sms_notification", "email_notification"],
    },
    ServiceInfo {
        carrier: "postnord",
        code: "business",
        name: "Parcel",
        is_pickup: false,
        is_return: false,
        base_ore: 7200,
        per_kg_ore: 350,
        max_grams: 35_000.0,
        transit_days: 1,
        addons: &["email_notification"],
    },
    ServiceInfo {
        carrier: "postnord",
        code: "return_dropoff",
        name: "Return Drop Off",
        is_pickup: false,
        is_return: true,
        base_ore: 4500,
        per_kg_ore: 300,
        max_grams: 20_000.0,
        transit_days: 2,
        addons: &[],
    },
    ServiceInfo {
        carrier: "gls",
        code: "parcelshop",
        name: "ParcelShop",
        is_pickup: true,
        is_return: false,
        base_ore: 3600,
        per_kg_ore: 250,
        max_grams: 20_000.0,
        transit_days: 1,
        addons: &["email_notification"],
    },
    ServiceInfo {
        carrier: "gls",
        code: "private",
        name: "PrivateDelivery",
        is_pickup: false,
        is_return: false,
        base_ore: 5500,
        per_kg_ore: 300,
        max_grams: 30_000.0,
        transit_days: 1,
        addons: &["sms_notification", "flex_delivery"],
    },
    ServiceInfo {
        carrier: "gls",
        code: "business",
        name: "BusinessParcel",
        is_pickup: false,
        is_return: false,
        base_ore: 6200,
        per_kg_ore: 300,
        max_grams: 40_000.0,
        transit_days: 1,
        addons: &[],
    },
    ServiceInfo {
        carrier: "dao",
        code: "direct",
        name: "DAO Direct",
        is_pickup: false,
        is_return: false,
        base_ore: 4900,
        per_kg_ore: 200,
        max_grams: 15_000.0,
        transit_days: 1,
        addons: &["sms_notification"],
    },
    ServiceInfo {
        carrier: "dao",
        code: "shop",
        name: "DAO Shop",
        is_pickup: true,
        is_return: false,
        base_ore: 3200,
        per_kg_ore: 200,
        max_grams: 15_000.0,
        transit_days: 2,
        addons: &["sms_notification", "email_notification"],
    },
    ServiceInfo {
        carrier: "bring",
        code: "home",
        name: "Home Delivery Parcel",
        is_pickup: false,
        is_return: false,
        base_ore: 8900,
        per_kg_ore: 450,
        max_grams: 35_000.0,
        transit_days: 2,
        addons: &["sms_notification", "flex_delivery"],
    },
    ServiceInfo {
        carrier: "bring",
        code: "pickup",
        name: "PickUp Parcel",
        is_pickup: true,
        is_return: false,
        base_ore: 6900,
        per_kg_ore: 350,
        max_grams: 20_000.0,
        transit_days: 2,
        addons: &["sms_notification"],
    },
    ServiceInfo {
        carrier: "bring",
        code: "business",
        name: "Business Parcel",
        is_pickup: false,
        is_return: false,
        base_ore: 9900,
        per_kg_ore: 400,
        max_grams: 35_000.0,
        transit_days: 2,
        addons: &[],
    },
];

pub(super) fn carrier(code: &str) -> Option<&'static CarrierInfo> {
    CARRIERS.iter().find(|c| c.code == code)
}

pub(super) fn service(carrier: &str, code: &str) -> Option<&'static ServiceInfo> {
    SERVICES
        .iter()
        .find(|s| s.carrier == carrier && s.code == code)
}

fn logo_url(carrier: &str) -> String {
    format!("https://cdn.smartsend.io/carriers/{carrier}/logo.svg")
}

fn icon_url(carrier: &str) -> String {
    format!("https://cdn.smartsend.io/carriers/{carrier}/icon.svg")
}

/// The name of an add-on in `language` (its code when unknown).
pub(super) fn addon_name(code: &str, language: Language) -> String {
    let (en, da) = match code {
        "sms_notification" => ("SMS notification", "SMS-advisering"),
        "email_notification" => ("E-mail notification", "E-mail-advisering"),
        "flex_delivery" => ("Flex delivery", "Flexlevering"),
        other => (other, other),
    };
    match language {
        Language::En => en,
        Language::Da => da,
    }
    .to_owned()
}

/// The `delivery` block of a shipment or rate: names and logos from the catalogue, null where
/// the carrier or service is unknown.
pub(super) fn delivery(
    carrier_code: &str,
    service_code: &str,
    addons: &[String],
    incoterm: Option<String>,
    language: Language,
) -> types::Delivery {
    let carrier = carrier(carrier_code);
    let service = service(carrier_code, service_code);
    types::Delivery {
        addons: addons
            .iter()
            .map(|code| types::Addon {
                code: code.clone(),
                name: addon_name(code, language),
            })
            .collect(),
        carrier_code: Some(carrier_code.to_owned()),
        carrier_name: carrier.map(|c| c.name.to_owned()),
        carrier_logo_url: carrier.map(|c| logo_url(c.code)),
        carrier_icon_url: carrier.map(|c| icon_url(c.code)),
        incoterm,
        is_pickup: service.map(|s| s.is_pickup),
        is_return: service.map(|s| s.is_return),
        service_code: Some(service_code.to_owned()),
        service_name: service.map(|s| s.name.to_owned()),
    }
}

/// Every service, for `list_services`.
pub(super) fn services() -> Vec<types::Service> {
    SERVICES
        .iter()
        .map(|s| {
            let carrier = carrier(s.carrier).expect("every service's carrier is seeded");
            types::Service {
                carrier_code: carrier.code.to_owned(),
                carrier_icon_url: icon_url(carrier.code),
                carrier_logo_url: logo_url(carrier.code),
                carrier_name: carrier.name.to_owned(),
                is_pickup: s.is_pickup,
                is_return: s.is_return,
                service_code: s.code.to_owned(),
                service_name: s.name.to_owned(),
            }
        })
        .collect()
}

/// The tracking code of a parcel: the carrier's prefix, then digits taken from the parcel's
/// uuid (so the same parcel always gets the same code).
pub(super) fn tracking_code(carrier: &CarrierInfo, parcel: uuid::Uuid) -> String {
    let digits = format!("{:039}", parcel.as_u128());
    let wanted = carrier.tracking_len - carrier.tracking_prefix.len();
    format!(
        "{}{}",
        carrier.tracking_prefix,
        &digits[digits.len() - wanted..]
    )
}

pub(super) fn tracking_url(carrier: &CarrierInfo, code: &str) -> String {
    carrier.tracking_url.replace("{code}", code)
}

/// One rate per service: available when the carrier serves the country and the parcels are not
/// too heavy; the price grows with each started kilogram (weights read as grams). VAT is 25 %.
pub(super) fn rates(
    request: &types::RateRequest,
    now: DateTime<Utc>,
    language: Language,
) -> Vec<types::Rate> {
    let country = request.parties.receiver.address.country.as_str();
    let grams: f64 = request
        .parcels
        .iter()
        .map(|p| p.gross_weight.unwrap_or(0.0).max(0.0))
        .sum();
    let cutoff_at = cutoff(now);
    SERVICES
        .iter()
        .map(|s| {
            let carrier = carrier(s.carrier).expect("every service's carrier is seeded");
            let available = carrier.countries.contains(&country) && grams <= s.max_grams;
            let delivery = delivery(s.carrier, s.code, &[], None, language);
            if !available {
                return types::Rate {
                    addons: Vec::new(),
                    available,
                    cost_price: None,
                    cutoff: None,
                    delivery,
                    delivery_window: None,
                };
            }
            let started_kg = (grams / 1000.0).ceil().max(1.0) as i64;
            let net_ore = s.base_ore + s.per_kg_ore * (started_kg - 1);
            let earliest_day = add_working_days(cutoff_at.date_naive(), s.transit_days);
            let at = |day: chrono::NaiveDate, h: u32| {
                Utc.from_utc_datetime(
                    &day.and_time(NaiveTime::from_hms_opt(h, 0, 0).expect("hour")),
                )
            };
            types::Rate {
                addons: s
                    .addons
                    .iter()
                    .map(|code| types::Addon {
                        code: (*code).to_owned(),
                        name: addon_name(code, language),
                    })
                    .collect(),
                available,
                cost_price: Some(types::RatePrice {
                    currency: request
                        .currency
                        .as_str()
                        .parse()
                        .expect("validated currency"),
                    net_amount: parcelkit::Decimal::new(net_ore, 2),
                    // 25 % VAT, rounded half up to the øre (prices are positive).
                    tax_amount: parcelkit::Decimal::new((net_ore * 25 + 50) / 100, 2),
                }),
                cutoff: Some(types::RateCutoff {
                    at: api_time(cutoff_at),
                    ships_on: api_date(cutoff_at.date_naive()),
                }),
                delivery,
                delivery_window: Some(types::DeliveryWindow {
                    earliest: api_time(at(earliest_day, 8)),
                    latest: api_time(at(add_working_days(earliest_day, 1), 17)),
                }),
            }
        })
        .collect()
}

/// The next 15:00 UTC on a working day that is still ahead.
fn cutoff(now: DateTime<Utc>) -> DateTime<Utc> {
    let mut day = now.date_naive();
    loop {
        let at =
            Utc.from_utc_datetime(&day.and_time(NaiveTime::from_hms_opt(15, 0, 0).expect("15:00")));
        if at > now && !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            return at;
        }
        day += Duration::days(1);
    }
}

fn add_working_days(mut day: chrono::NaiveDate, days: i64) -> chrono::NaiveDate {
    let mut left = days;
    while left > 0 {
        day += Duration::days(1);
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    day
}

/// One seeded service point.
struct Point {
    carrier: &'static str,
    code: &'static str,
    name: &'static str,
    kind: &'static str,
    street: &'static str,
    postal_code: &'static str,
    city: &'static str,
    country: &'static str,
    latitude: f64,
    longitude: f64,
}

const POINTS: &[Point] = &[
    Point {
        carrier: "postnord",
        code: "95410",
        name: "Netto Vesterbrogade",
        kind: "parcel_shop",
        street: "Vesterbrogade 45",
        postal_code: "1620",
        city: "København V",
        country: "DK",
        latitude: 55.6721,
        longitude: 12.5522,
    },
    Point {
        carrier: "postnord",
        code: "95502",
        name: "Posthus Aarhus C",
        kind: "post_office",
        street: "Banegårdspladsen 1A",
        postal_code: "8000",
        city: "Aarhus C",
        country: "DK",
        latitude: 56.1503,
        longitude: 10.2043,
    },
    Point {
        carrier: "postnord",
        code: "96217",
        name: "Pakkeboks Odense Banegård",
        kind: "locker",
        street: "Østre Stationsvej 27",
        postal_code: "5000",
        city: "Odense C",
        country: "DK",
        latitude: 55.4015,
        longitude: 10.3870,
    },
    Point {
        carrier: "postnord",
        code: "71360",
        name: "ICA Supermarket Södermalm",
        kind: "parcel_shop",
        street: "Götgatan 78",
        postal_code: "11830",
        city: "Stockholm",
        country: "SE",
        latitude: 59.3105,
        longitude: 18.0746,
    },
    Point {
        carrier: "postnord",
        code: "71871",
        name: "Pressbyrån Göteborg C",
        kind: "parcel_shop",
        street: "Drottningtorget 5",
        postal_code: "41103",
        city: "Göteborg",
        country: "SE",
        latitude: 57.7089,
        longitude: 11.9733,
    },
    Point {
        carrier: "gls",
        code: "2080",
        name: "Shell Nørrebrogade",
        kind: "parcel_shop",
        street: "Nørrebrogade 186",
        postal_code: "2200",
        city: "København N",
        country: "DK",
        latitude: 55.6967,
        longitude: 12.5441,
    },
    Point {
        carrier: "gls",
        code: "2315",
        name: "Spar Frederiksberg",
        kind: "parcel_shop",
        street: "Gammel Kongevej 120",
        postal_code: "1850",
        city: "Frederiksberg C",
        country: "DK",
        latitude: 55.6781,
        longitude: 12.5394,
    },
    Point {
        carrier: "gls",
        code: "5411",
        name: "Coop Konsum Malmö",
        kind: "parcel_shop",
        street: "Södra Förstadsgatan 40",
        postal_code: "21143",
        city: "Malmö",
        country: "SE",
        latitude: 55.5967,
        longitude: 13.0027,
    },
    Point {
        carrier: "dao",
        code: "6120",
        name: "Circle K Valby",
        kind: "parcel_shop",
        street: "Valby Langgade 60",
        postal_code: "2500",
        city: "Valby",
        country: "DK",
        latitude: 55.6622,
        longitude: 12.5098,
    },
    Point {
        carrier: "dao",
        code: "6344",
        name: "Døgnnetto Aalborg",
        kind: "parcel_shop",
        street: "Boulevarden 13",
        postal_code: "9000",
        city: "Aalborg",
        country: "DK",
        latitude: 57.0468,
        longitude: 9.9187,
    },
    Point {
        carrier: "bring",
        code: "121500",
        name: "Posten Oslo Sentrum",
        kind: "post_office",
        street: "Dronningens gate 15",
        postal_code: "0152",
        city: "Oslo",
        country: "NO",
        latitude: 59.9111,
        longitude: 10.7460,
    },
    Point {
        carrier: "bring",
        code: "122140",
        name: "Coop Extra Bergen",
        kind: "parcel_shop",
        street: "Strandgaten 18",
        postal_code: "5013",
        city: "Bergen",
        country: "NO",
        latitude: 60.3943,
        longitude: 5.3235,
    },
    Point {
        carrier: "bring",
        code: "127300",
        name: "Pakkeautomat Trondheim S",
        kind: "locker",
        street: "Fosenkaia 1",
        postal_code: "7010",
        city: "Trondheim",
        country: "NO",
        latitude: 63.4362,
        longitude: 10.3990,
    },
    Point {
        carrier: "bring",
        code: "127851",
        name: "ICA Nära Uppsala",
        kind: "parcel_shop",
        street: "Kungsgatan 41",
        postal_code: "75321",
        city: "Uppsala",
        country: "SE",
        latitude: 59.8586,
        longitude: 17.6450,
    },
];

/// A stable uuid for a service point: FNV-1a over carrier and code, as version-4 bytes.
fn point_uuid(point: &Point) -> uuid::Uuid {
    let mut hash: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    for byte in point
        .carrier
        .bytes()
        .chain([b'/'])
        .chain(point.code.bytes())
    {
        hash ^= u128::from(byte);
        hash = hash.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013B);
    }
    uuid::Builder::from_random_bytes(hash.to_be_bytes()).into_uuid()
}

fn to_service_point(point: &Point) -> types::ServicePoint {
    let carrier = carrier(point.carrier).expect("every point's carrier is seeded");
    let day = |weekday: &str, open: &str, close: &str| types::RegularOpeningHours {
        weekday: weekday.to_owned(),
        periods: vec![types::OpeningPeriod {
            opening_time: open.to_owned(),
            closing_time: close.to_owned(),
        }],
    };
    let mut regular: Vec<_> = ["monday", "tuesday", "wednesday", "thursday", "friday"]
        .iter()
        .map(|d| day(d, "08:00", "21:00"))
        .collect();
    regular.push(day("saturday", "09:00", "18:00"));
    if point.kind != "post_office" {
        regular.push(day("sunday", "10:00", "16:00"));
    }
    types::ServicePoint {
        address: types::Address {
            address_lines: Some(vec![point.street.to_owned()]),
            administrative_area: None,
            city: point.city.to_owned(),
            country: point.country.parse().expect("seeded country"),
            postal_code: Some(point.postal_code.to_owned()),
        },
        carrier: types::Carrier {
            code: carrier.code.to_owned(),
            icon_url: Some(icon_url(carrier.code)),
            logo_url: Some(logo_url(carrier.code)),
            name: carrier.name.to_owned(),
        },
        code: point.code.to_owned(),
        coordinates: types::Coordinates {
            latitude: point.latitude,
            longitude: point.longitude,
        },
        distance: None,
        distance_unit: "m".to_owned(),
        name: point.name.to_owned(),
        opening_hours: Some(types::OpeningHours {
            regular_opening_hours: regular,
            special_opening_hours: Vec::new(),
        }),
        type_: point.kind.to_owned(),
        uuid: point_uuid(point),
    }
}

/// The service points of `carrier`, optionally in one country and postal code.
pub(super) fn service_points(
    carrier: &str,
    country: Option<&str>,
    postal_code: Option<&str>,
) -> Vec<types::ServicePoint> {
    POINTS
        .iter()
        .filter(|p| p.carrier == carrier)
        .filter(|p| country.is_none_or(|c| p.country == c))
        .filter(|p| postal_code.is_none_or(|c| p.postal_code == c))
        .map(to_service_point)
        .collect()
}

pub(super) fn service_point_by_uuid(uuid: uuid::Uuid) -> Option<types::ServicePoint> {
    POINTS
        .iter()
        .find(|p| point_uuid(p) == uuid)
        .map(to_service_point)
}

pub(super) fn service_point_by_code(
    carrier: &str,
    country: &str,
    code: &str,
) -> Option<types::ServicePoint> {
    POINTS
        .iter()
        .find(|p| p.carrier == carrier && p.country == country && p.code == code)
        .map(to_service_point)
}
