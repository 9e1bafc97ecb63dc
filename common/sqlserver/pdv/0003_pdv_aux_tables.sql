-- PDV auxiliary sync tables: the canonical text is the hand-run entry script.
:r ../../pdv_aux_tables.sql
