"""World configuration and the fixed vocabularies of the synthetic BNPL world."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

CATEGORIES = ("fashion", "shoes", "beauty", "electronics", "home", "sports",
              "toys", "jewellery", "books", "garden", "gift_cards", "travel")
STYLES = ("classic", "minimal", "bold", "vintage", "sporty", "boho", "luxury", "street")
COLOURS = ("black", "white", "grey", "red", "blue", "green", "yellow", "pink", "brown", "beige")
CHANNELS = ("app", "web", "in_store")
PLANS = ("pay_in_3", "pay_in_4", "pay_in_30")
EVENT_TYPES = ("view", "add_to_cart")
INSTALMENT_STATUS = ("paid", "missed", "disputed", "pending")
OS_NAMES = ("ios", "android", "windows", "macos", "linux")
DEVICE_TYPES = ("phone", "desktop")
ADDRESS_TYPES = ("home", "parcel_locker", "business")
INSTRUMENT_KINDS = ("card", "bank_account")
TYPOLOGIES = ("account_takeover", "synthetic_identity", "mule", "merchant_collusion", "scam")
# Price band centres in currency units (band 0 cheapest .. band 4 most expensive).
BAND_PRICES = (15.0, 40.0, 90.0, 200.0, 450.0)
# Categories fraudsters favour for resale (account takeover) and scams (gift cards, electronics).
RESALE_CATEGORIES = ("electronics", "jewellery")
SCAM_CATEGORIES = ("gift_cards", "electronics")


class WorldConfig(BaseModel):
    """Everything that shapes a synthetic world. Same config (seed included) -> identical tables.

    Fraud rates are fractions of all transactions carrying each typology. Every number must be
    finite (NaN and infinity are refused) and inside its bounds, so a bad value fails here in one
    line naming the field rather than deep inside numpy.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)

    seed: int = Field(0, ge=0, le=2**32 - 1, description="random seed of the generator")
    n_transactions: int = Field(200_000, ge=1_000, le=20_000_000, description="BNPL orders in the world")
    days: float = Field(180.0, gt=7, le=3650, description="time span of the world in days")
    transactions_per_customer: float = Field(8.0, gt=1, le=1_000, description="mean orders per customer")
    browse_sessions_per_order: float = Field(0.6, ge=0, le=100,
                                             description="browsing sessions without an order, per order")
    views_per_session: float = Field(3.0, gt=0, le=1_000, description="mean product views per browsing session")
    transfers_per_account: float = Field(1.0, ge=0, le=1_000,
                                         description="legit person-to-person transfers per account")
    missed_payment_rate: float = Field(0.03, ge=0, le=1, description="legit instalments missed")
    legit_label_delay_days: float = Field(30.0, ge=0, le=3650,
                                          description="when a legit transaction counts as confirmed")
    account_takeover_rate: float = Field(0.004, ge=0, le=0.1,
                                         description="share of transactions planted as account takeover fraud")
    synthetic_identity_rate: float = Field(0.006, ge=0, le=0.1,
                                           description="share of transactions planted as synthetic identity fraud")
    mule_rate: float = Field(0.003, ge=0, le=0.1,
                             description="share of transactions planted as mule fraud")
    merchant_collusion_rate: float = Field(0.003, ge=0, le=0.1,
                                           description="share of transactions planted as merchant collusion fraud")
    scam_rate: float = Field(0.003, ge=0, le=0.1,
                             description="share of transactions planted as scam fraud")

    @model_validator(mode="after")
    def _total_fraud_rate(self) -> WorldConfig:
        if sum(self.fraud_rates().values()) > 0.3:
            raise ValueError("fraud rates add up to more than 0.3 of all transactions")
        return self

    def fraud_rates(self) -> dict[str, float]:
        """Rate per typology, keyed by the typology name."""
        return {t: getattr(self, f"{t}_rate") for t in TYPOLOGIES}

    def fraud_counts(self) -> dict[str, int]:
        """Exact number of transactions planted per typology."""
        return {t: int(round(r * self.n_transactions)) for t, r in self.fraud_rates().items()}

    @property
    def n_customers(self) -> int:
        return max(50, int(self.n_transactions / self.transactions_per_customer))

    @property
    def n_merchants(self) -> int:
        return int(min(2_000, max(4 * len(CATEGORIES), self.n_transactions // 1_000)))

    @property
    def n_products(self) -> int:
        return int(min(20_000, max(12 * len(CATEGORIES) * len(STYLES) // 4, self.n_transactions // 50)))
