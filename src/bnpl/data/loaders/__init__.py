"""bnpl.data.loaders"""
