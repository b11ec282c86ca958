"""graph_sync"""
