"""bnpl: research code for a buy-now-pay-later app."""
__version__ = "0.1.0"
