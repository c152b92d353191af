"""The synthetic BNPL world: the default dataset of every stage.

``generate_world(WorldConfig(seed=..., n_transactions=...))`` builds customers with latent
taste, their devices, addresses, cards and accounts, merchants and a product catalogue,
browsing sessions, BNPL orders with instalments, person-to-person transfers and planted
fraud of five typologies with late-arriving labels. ``save_world`` / ``load_world`` store
it as schema-checked Parquet; ``world_to_fraud_data`` / ``world_to_interactions`` turn it
into the normalised forms the fraud and recommendation stages consume.
"""
from bnpl.data.synthetic.config import TYPOLOGIES, WorldConfig
from bnpl.data.synthetic.convert import world_to_fraud_data, world_to_interactions
from bnpl.data.synthetic.world import (
           World,
           ensure_world,
           generate_world,
           load_world,
           save_world,
           validate_world,
)

__all__ = ["TYPOLOGIES", "World", "WorldConfig", "ensure_world", "generate_world", "load_world", "save_world", "validate_world",
           "world_to_fraud_data", "world_to_interactions"]
