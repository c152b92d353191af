"""bnpl.fraud"""
