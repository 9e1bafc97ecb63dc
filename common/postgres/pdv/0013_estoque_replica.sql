-- The PDV's replica of its loja's stock: the same table as the central one, pulled like any filtered catalog
-- table (pull-service's sample mapping lists it after loja and produto).
\ir ../central/0013_estoque.sql
