"""bnpl.recsys"""
