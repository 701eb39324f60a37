"""Language knowledge as data: word lists, tables and weights per language (de, en).

Every rule of the core that depends on words reads them from a named table in this package;
nothing in the core keeps its own word list.
"""
