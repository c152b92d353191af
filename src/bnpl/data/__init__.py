"""bnpl.data"""
