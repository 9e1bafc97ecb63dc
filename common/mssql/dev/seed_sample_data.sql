-- Sample master data (cadastros) for the development loop: run against the CENTRAL database after
-- sqlserver/central/*.sql (docker-compose.yml, profile dev, service dev-setup). pull-service then brings it
-- down to the PDV, so the rows are chosen to exercise what must survive the trip: decimals with 2 and 4
-- places, text with accents (ç, ã, é, ô), varbinary, uniqueidentifier, money, date, time and datetime2 /
-- datetimeoffset with all 7 fractional digits, NULLs, and per-store prices for two lojas.
--
-- Not one of the versioned scripts (the schema runner reads only sqlserver/central and sqlserver/pdv):
-- sample rows have no place on a customer's database. Safe to run again: each row is inserted only if its
-- key is missing, so a second run changes nothing and produces no Change Tracking versions.
--   sqlcmd -S <server> -d <central database> -I -i seed_sample_data.sql

:on error exit

SET NOCOUNT ON;
SET XACT_ABORT ON;
BEGIN TRANSACTION;

INSERT INTO dbo.loja (loja_id, nome, cnpj)
SELECT v.loja_id, v.nome, v.cnpj
  FROM (VALUES
        (1, N'Supermercado Gold - Matriz São Paulo', '11222333000181'),
        (2, N'Supermercado Gold - Filial Ribeirão Preto', '11444777000161')
       ) AS v (loja_id, nome, cnpj)
 WHERE NOT EXISTS (SELECT 1 FROM dbo.loja AS l WHERE l.loja_id = v.loja_id);

INSERT INTO dbo.categoria (categoria_id, nome, ativa)
SELECT v.categoria_id, v.nome, 1
  FROM (VALUES
        (1, N'Bebidas'),
        (2, N'Laticínios'),
        (3, N'Padaria e Confeitaria'),
        (4, N'Mercearia'),
        (5, N'Hortifrúti'),
        (6, N'Açougue'),
        (7, N'Higiene Pessoal'),
        (8, N'Limpeza'),
        (9, N'Congelados'),
        (10, N'Pet Shop')
       ) AS v (categoria_id, nome)
 WHERE NOT EXISTS (SELECT 1 FROM dbo.categoria AS c WHERE c.categoria_id = v.categoria_id);

-- 40 items x 5 brands = 200 products, produto_id 1..200. Prices per kg for the weighed items (unidade KG).
WITH item AS (
    SELECT i.item, i.descricao, i.categoria_id, i.unidade, i.ncm, i.preco, i.peso_kg, i.aliquota_icms
      FROM (VALUES
            (1,  N'Refrigerante de Guaraná 2 L',          1,  'UN',  '22021000',   8.49,  2.1000, 18.0000),
            (2,  N'Água Mineral sem Gás 500 mL',          1,  'UN',  '22011000',   2.29,  0.5200, 18.0000),
            (3,  N'Suco de Maracujá Integral 1 L',        1,  'UN',  '20098990',  12.90,  1.0800, 18.0000),
            (4,  N'Cerveja Pilsen Lata 350 mL',           1,  'UN',  '22030000',   4.19,  0.3700, 25.0000),
            (5,  N'Leite UHT Integral 1 L',               2,  'UN',  '04012010',   5.49,  1.0300,  7.0000),
            (6,  N'Queijo Minas Frescal',                 2,  'KG',  '04069090',  42.90,  1.0000, 12.0000),
            (7,  N'Iogurte Natural 170 g',                2,  'UN',  '04032000',   3.79,  0.1800, 12.0000),
            (8,  N'Manteiga com Sal 200 g',               2,  'UN',  '04051000',  13.99,  0.2100, 12.0000),
            (9,  N'Requeijão Cremoso 200 g',              2,  'UN',  '04069090',   9.49,  0.2200, 12.0000),
            (10, N'Pão Francês',                          3,  'KG',  '19059090',  16.90,  1.0000,  7.0000),
            (11, N'Bolo de Fubá com Goiabada',            3,  'UN',  '19059090',  18.50,  0.6000,  7.0000),
            (12, N'Biscoito Cream Cracker 400 g',         3,  'UN',  '19053100',   5.79,  0.4000, 12.0000),
            (13, N'Arroz Branco Tipo 1 5 kg',             4,  'UN',  '10063021',  27.90,  5.0000,  7.0000),
            (14, N'Feijão Carioca Tipo 1 1 kg',           4,  'UN',  '07133319',   8.99,  1.0000,  7.0000),
            (15, N'Café Torrado e Moído 500 g',           4,  'UN',  '09012100',  19.90,  0.5000, 12.0000),
            (16, N'Açúcar Refinado 1 kg',                 4,  'UN',  '17019900',   4.99,  1.0000,  7.0000),
            (17, N'Óleo de Soja 900 mL',                  4,  'UN',  '15079011',   7.49,  0.9000, 12.0000),
            (18, N'Macarrão Espaguete 500 g',             4,  'UN',  '19021900',   4.59,  0.5000,  7.0000),
            (19, N'Farinha de Mandioca Torrada 500 g',    4,  'UN',  '11062000',   6.29,  0.5000,  7.0000),
            (20, N'Molho de Tomate Tradicional 340 g',    4,  'UN',  '21032010',   3.49,  0.3400, 12.0000),
            (21, N'Banana Prata',                         5,  'KG',  '08039000',   6.98,  1.0000,  0.0000),
            (22, N'Tomate Italiano',                      5,  'KG',  '07020000',   8.49,  1.0000,  0.0000),
            (23, N'Maçã Fuji',                            5,  'KG',  '08081000',  11.90,  1.0000,  0.0000),
            (24, N'Batata Inglesa',                       5,  'KG',  '07019000',   5.99,  1.0000,  0.0000),
            (25, N'Alface Crespa Hidropônica',            5,  'UN',  '07051900',   3.99,  0.3000,  0.0000),
            (26, N'Picanha Bovina',                       6,  'KG',  '02013000',  79.90,  1.0000,  7.0000),
            (27, N'Filé de Peito de Frango',              6,  'KG',  '02071400',  21.90,  1.0000,  7.0000),
            (28, N'Linguiça Toscana',                     6,  'KG',  '16010000',  24.90,  1.0000, 12.0000),
            (29, N'Costela Suína',                        6,  'KG',  '02031900',  29.90,  1.0000,  7.0000),
            (30, N'Sabonete em Barra Glicerinado 90 g',   7,  'UN',  '34011190',   2.49,  0.0900, 18.0000),
            (31, N'Creme Dental com Flúor 90 g',          7,  'UN',  '33061000',   4.99,  0.0900, 18.0000),
            (32, N'Xampu Anticaspa 400 mL',               7,  'UN',  '33051000',  21.90,  0.4200, 18.0000),
            (33, N'Papel Higiênico Folha Dupla 12 rolos', 7,  'PCT', '48181000',  22.90,  1.2000, 18.0000),
            (34, N'Detergente Líquido Neutro 500 mL',     8,  'UN',  '34022000',   2.69,  0.5200, 18.0000),
            (35, N'Água Sanitária 2 L',                   8,  'UN',  '28289011',   7.99,  2.0500, 18.0000),
            (36, N'Sabão em Pó 1,6 kg',                   8,  'CX',  '34022000',  24.90,  1.6000, 18.0000),
            (37, N'Esponja de Aço com 8 unidades',        8,  'PCT', '73239000',   3.49,  0.0600, 18.0000),
            (38, N'Pão de Queijo Congelado 1 kg',         9,  'UN',  '19022000',  22.90,  1.0000, 12.0000),
            (39, N'Lasanha à Bolonhesa 600 g',            9,  'UN',  '19023000',  18.99,  0.6000, 12.0000),
            (40, N'Ração para Cães Adultos 10,1 kg',      10, 'SC',  '23091000', 129.90, 10.1000, 18.0000)
           ) AS i (item, descricao, categoria_id, unidade, ncm, preco, peso_kg, aliquota_icms)
),
marca AS (
    SELECT m.variante, m.nome, m.fator
      FROM (VALUES
            (1, N'Boa Safra',       1.0000),
            (2, N'São Benedito',    1.0850),
            (3, N'Coração de Ouro', 0.9375),
            (4, N'Três Irmãos',     1.1420),
            (5, N'Econômico',       0.8690)
           ) AS m (variante, nome, fator)
),
novo_produto AS (
    SELECT (i.item - 1) * 5 + m.variante AS produto_id,
           -- EAN-13 body: Brazil's 789 prefix, a company code per brand, the item number.
           CONCAT('789', CAST(1000 + m.variante * 111 AS varchar(4)), RIGHT(CONCAT('00000', (i.item - 1) * 5 + m.variante), 5)) AS ean12,
           CONCAT(i.descricao, N' ', m.nome) AS descricao,
           i.categoria_id, i.unidade, i.ncm, i.peso_kg, i.aliquota_icms, i.item, m.variante,
           CAST(ROUND(i.preco * m.fator, 2) AS decimal(18,4)) AS preco_base
      FROM item AS i
     CROSS JOIN marca AS m
)
INSERT INTO dbo.produto (produto_id, codigo_barras, descricao, categoria_id, unidade, ncm, preco_base, custo,
                         aliquota_icms, peso_kg, ativo, imagem, criado_em, atualizado_em)
SELECT p.produto_id,
       CONCAT(p.ean12, chk.digito),
       p.descricao,
       p.categoria_id,
       p.unidade,
       p.ncm,
       p.preco_base,
       -- Four decimal places on purpose: cost is where fractions of a cent show up.
       CASE WHEN p.variante = 5 THEN NULL ELSE CAST(ROUND(p.preco_base * 0.6137, 4) AS decimal(18,4)) END,
       p.aliquota_icms,
       CASE WHEN p.unidade = 'KG' THEN NULL ELSE p.peso_kg END,
       CASE WHEN p.item % 13 = 0 AND p.variante = 5 THEN 0 ELSE 1 END,
       -- A few products carry bytes (a PNG signature and IHDR header) to exercise varbinary.
       CASE WHEN p.variante = 1 AND p.item <= 3 THEN 0x89504E470D0A1A0A0000000D49484452 ELSE NULL END,
       DATEADD(MINUTE, p.produto_id * 37, CAST('2024-03-01T08:00:00.1234567' AS datetime2(7))),
       TODATETIMEOFFSET(DATEADD(SECOND, p.produto_id * 913, CAST('2025-01-10T09:15:30.7654321' AS datetime2(7))), '-03:00')
  FROM novo_produto AS p
 CROSS APPLY (
       -- EAN-13 check digit: weights 1,3,1,3... over the 12 digits of the body.
       SELECT (10 - SUM(CAST(SUBSTRING(p.ean12, d.pos, 1) AS int) * CASE WHEN d.pos % 2 = 1 THEN 1 ELSE 3 END) % 10) % 10 AS digito
         FROM (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12)) AS d (pos)
       ) AS chk
 WHERE NOT EXISTS (SELECT 1 FROM dbo.produto AS x WHERE x.produto_id = p.produto_id);

-- Both lojas price every active product; the Ribeirão Preto store is 3.5 % dearer, and every seventh
-- product is on promotion until the end of 2026.
INSERT INTO dbo.preco_loja (loja_id, produto_id, preco, preco_promocional, vigencia_inicio, vigencia_fim, atualizado_em)
SELECT l.loja_id,
       p.produto_id,
       preco.valor,
       CASE WHEN p.produto_id % 7 = 0 THEN CAST(ROUND(preco.valor * 0.9000, 2) AS decimal(18,4)) ELSE NULL END,
       CAST('2025-01-01' AS date),
       CASE WHEN p.produto_id % 7 = 0 THEN CAST('2026-12-31' AS date) ELSE NULL END,
       DATEADD(SECOND, p.produto_id * 61 + l.loja_id, CAST('2025-02-03T10:00:00.0000001' AS datetime2(7)))
  FROM dbo.produto AS p
 CROSS JOIN dbo.loja AS l
 CROSS APPLY (
       SELECT CASE WHEN l.loja_id = 2 THEN CAST(ROUND(p.preco_base * 1.0350, 2) AS decimal(18,4)) ELSE p.preco_base END AS valor
       ) AS preco
 WHERE p.ativo = 1
   AND l.loja_id IN (1, 2)
   AND p.produto_id BETWEEN 1 AND 200
   AND NOT EXISTS (SELECT 1 FROM dbo.preco_loja AS x WHERE x.loja_id = l.loja_id AND x.produto_id = p.produto_id);

INSERT INTO dbo.forma_pagamento (forma_pagamento_id, descricao, tipo, taxa_percentual, ativa)
SELECT v.forma_pagamento_id, v.descricao, v.tipo, v.taxa_percentual, v.ativa
  FROM (VALUES
        (1, N'Dinheiro',            'DINHEIRO',  0.0000, 1),
        (2, N'Cartão de Crédito',   'CREDITO',   2.9900, 1),
        (3, N'Cartão de Débito',    'DEBITO',    1.4900, 1),
        (4, N'PIX',                 'PIX',       0.9900, 1),
        (5, N'Vale-Alimentação',    'VOUCHER',   3.5000, 1),
        (6, N'Crediário Próprio',   'CREDIARIO', 0.0000, 0)
       ) AS v (forma_pagamento_id, descricao, tipo, taxa_percentual, ativa)
 WHERE NOT EXISTS (SELECT 1 FROM dbo.forma_pagamento AS f WHERE f.forma_pagamento_id = v.forma_pagamento_id);

INSERT INTO dbo.operador (operador_id, nome, login, inicio_turno, ativo)
SELECT v.operador_id, v.nome, v.login, CAST(v.inicio_turno AS time(0)), v.ativo
  FROM (VALUES
        (1, N'Ana Paula Conceição',   'ana.conceicao',   '08:00:00', 1),
        (2, N'João Sebastião Araújo', 'joao.araujo',     '14:00:00', 1),
        (3, N'Maria José Gonçalves',  'maria.goncalves', NULL,       1),
        (4, N'Luís Antônio Brandão',  'luis.brandao',    '22:00:00', 0)
       ) AS v (operador_id, nome, login, inicio_turno, ativo)
 WHERE NOT EXISTS (SELECT 1 FROM dbo.operador AS o WHERE o.operador_id = v.operador_id);

INSERT INTO dbo.cliente (cliente_id, nome, cpf_cnpj, email, limite_credito, data_nascimento, criado_em)
SELECT CAST(v.cliente_id AS uniqueidentifier), v.nome, v.cpf_cnpj, v.email, CAST(v.limite_credito AS money),
       CAST(v.data_nascimento AS date), CAST(v.criado_em AS datetime2(7))
  FROM (VALUES
        ('3f2b8c1e-6a4d-4e8f-9b7a-1c2d3e4f5a60', N'Antônia Ferreira da Silva', '52998224725',    N'antonia.silva@example.com.br', '1500.00', '1978-04-23', '2024-05-02T10:11:12.3456789'),
        ('7d9e0f1a-2b3c-4d5e-8f90-a1b2c3d4e5f6', N'José Inácio Gonçalves',     '11144477735',    NULL,                            '0.00',    '1990-11-02', '2024-06-15T16:45:00.0000001'),
        ('b4c5d6e7-f809-4a1b-9c2d-3e4f5a6b7c8d', N'Padaria Pão Dourado Ltda.',   '45278391000149', N'compras@paodourado.example',   '25000.50', NULL,         '2024-07-01T08:00:00.5000000'),
        ('e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b', N'Conceição Brandão Müller',   NULL,             N'conceicao.muller@example.com', NULL,      '1965-02-28', '2025-01-20T19:30:45.9999999')
       ) AS v (cliente_id, nome, cpf_cnpj, email, limite_credito, data_nascimento, criado_em)
 WHERE NOT EXISTS (SELECT 1 FROM dbo.cliente AS c WHERE c.cliente_id = CAST(v.cliente_id AS uniqueidentifier));

COMMIT TRANSACTION;
GO
