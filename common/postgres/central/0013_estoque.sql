-- Stock per store (PostgreSQL): how much of each product a loja holds. Same table as
-- mssql/central/0013_estoque.sql. The PDV keeps a replica of its own loja's rows (pdv/0013_estoque_replica.sql
-- includes this file), served like preco_loja, filtered by loja_id. Safe to run again.
--
-- Only movements change it (0014_stock_movements.sql): quantidade always equals the sum of the product's
-- movements at the loja, and ultimo_movimento_id names the last one applied. It may go below zero: a PDV
-- sells what is on the shelf whatever the books say, and the books catch up with a purchase or a count.
CREATE TABLE IF NOT EXISTS estoque (
    loja_id             integer       NOT NULL CONSTRAINT fk_estoque_loja REFERENCES loja (loja_id),
    produto_id          integer       NOT NULL CONSTRAINT fk_estoque_produto REFERENCES produto (produto_id),
    quantidade          numeric(18,4) NOT NULL,
    ultimo_movimento_id bigint        NOT NULL,
    ultimo_movimento_em timestamp(6)  NOT NULL,
    CONSTRAINT pk_estoque PRIMARY KEY (loja_id, produto_id)
);

-- Without it, deleting a product scans every store's stock to check the foreign key.
CREATE INDEX IF NOT EXISTS ix_estoque_produto ON estoque (produto_id);
