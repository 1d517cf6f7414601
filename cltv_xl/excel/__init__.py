"""Excel-facing front doors: worksheet functions, the ribbon refresh, the add-in and Lite files.

Everything here is a thin adapter between Excel (xlwings' three runtimes) and the analytics
below it; nothing in :mod:`cltv_xl.excel` computes a value itself.
"""
