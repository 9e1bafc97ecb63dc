import { describe, expect, it } from 'vitest';
import { expectValidTsql, parseTsql } from '../../packages/core/test/support/tsql-grammar.js';
import * as checkpointSql from '../src/checkpoint-store.mssql.js';
import * as catalogSql from '../src/local-schema.mssql.js';
import type { CatalogColumnRow, LocalSchema, LocalTable } from '../src/local-schema.js';
import { parseTableMapping } from '../src/table-mapping.js';
import { buildSyncPlan } from '../src/table-plan.js';
import { createTableSql } from '../src/table-sql.js';

/** The sample catalog as SQL Server's INFORMATION_SCHEMA describes it (common/sqlserver/central/0001_sample_catalog.sql). */
const COLUMNS: Record<string, [string, string, number | null, number | null, number | null][]> = {
  categoria: [['categoria_id', 'int', null, 10, 0], ['nome', 'nvarchar', 100, null, null], ['ativa', 'bit', null, null, null]],
  produto: [
    ['produto_id', 'int', null, 10, 0], ['codigo_barras', 'varchar', 14, null, null], ['descricao', 'nvarchar', 200, null, null],
    ['categoria_id', 'int', null, 10, 0], ['unidade', 'varchar', 6, null, null], ['ncm', 'char', 8, null, null],
    ['preco_base', 'decimal', null, 18, 4], ['custo', 'decimal', null, 18, 4], ['aliquota_icms', 'decimal', null, 9, 4],
    ['peso_kg', 'decimal', null, 12, 4], ['ativo', 'bit', null, null, null], ['imagem', 'varbinary', -1, null, null],
    ['criado_em', 'datetime2', null, null, null], ['atualizado_em', 'datetimeoffset', null, null, null],
  ],
  preco_loja: [
    ['loja_id', 'int', null, 10, 0], ['produto_id', 'int', null, 10, 0], ['preco', 'decimal', null, 18, 4], ['preco_promocional', 'decimal', null, 18, 4],
    ['vigencia_inicio', 'date', null, null, null], ['vigencia_fim', 'date', null, null, null], ['atualizado_em', 'datetime2', null, null, null],
  ],
  cliente: [
    ['cliente_id', 'uniqueidentifier', null, null, null], ['nome', 'nvarchar', 200, null, null], ['limite_credito', 'money', null, 19, 4],
    ['data_nascimento', 'date', null, null, null], ['criado_em', 'datetime2', null, null, null],
  ],
  operador: [['operador_id', 'int', null, 10, 0], ['login', 'varchar', 30, null, null], ['inicio_turno', 'time', null, null, null]],
  loja: [['loja_id', 'int', null, 10, 0]],
};
const KEYS: Record<string, string[]> = { categoria: ['categoria_id'], produto: ['produto_id'], preco_loja: ['loja_id', 'produto_id'], cliente: ['cliente_id'], operador: ['operador_id'], loja: ['loja_id'] };

function mssqlSchema(): LocalSchema {
  const tables = new Map<string, LocalTable>();
  for (const [table, columns] of Object.entries(COLUMNS)) {
    const described = columns.map(([name, type, length, precision, scale]) => {
      const row: CatalogColumnRow = { table_name: table, column_name: name, data_type: type, character_maximum_length: length, numeric_precision: precision, numeric_scale: scale, datetime_precision: 7, is_nullable: 'YES' };
      const kind = catalogSql.columnType(row);
      return { name, dataType: type, family: kind.family, castType: kind.castType, maxLength: length, precision, scale, nullable: true };
    });
    tables.set(table, { name: table, columns: new Map(described.map((column) => [column.name, column])), primaryKey: KEYS[table]! });
  }
  const foreignKeys = [
    { name: 'FK_produto_categoria', childTable: 'produto', childColumns: ['categoria_id'], parentTable: 'categoria', parentColumns: ['categoria_id'] },
    { name: 'FK_preco_loja_produto', childTable: 'preco_loja', childColumns: ['produto_id'], parentTable: 'produto', parentColumns: ['produto_id'] },
    { name: 'FK_preco_loja_loja', childTable: 'preco_loja', childColumns: ['loja_id'], parentTable: 'loja', parentColumns: ['loja_id'] },
  ];
  return { tables, foreignKeys };
}

function generatedStatements(): [string, string][] {
  const mapping = parseTableMapping({ tables: Object.keys(COLUMNS).map((table) => ({ table })) }, 'sync-tables.json');
  const plan = buildSyncPlan('mssql', mapping, mssqlSchema(), 500);
  expect(plan.problems).toEqual([]);
  const statements: [string, string][] = [];
  for (const table of plan.tables) {
    const sql = createTableSql('mssql', table, plan.referencesTo);
    statements.push([`${table.table} upsert`, sql.upsert([...table.columns.values()])]);
    statements.push([`${table.table} upsert (key columns only)`, sql.upsert(table.keyColumns)]);
    statements.push([`${table.table} delete keys`, sql.deleteKeys.delete]);
    if (sql.deleteKeys.leftOver) statements.push([`${table.table} keys left`, sql.deleteKeys.leftOver]);
    for (const lower of [false, true]) {
      for (const upper of [false, true]) {
        const stale = sql.deleteStale({ lower, upper });
        statements.push([`${table.table} stale ${lower}/${upper}`, stale.delete]);
        if (stale.leftOver) statements.push([`${table.table} stale left ${lower}/${upper}`, stale.leftOver]);
      }
    }
    statements.push([`${table.table} keys not in`, sql.keysNotIn]);
    statements.push([`${table.table} key order`, sql.keyOrderCheck]);
  }
  return statements;
}

/** Every T-SQL statement pull-service can send parses under the T-SQL grammar (no SQL Server runs here). */
describe('pull-service T-SQL', () => {
  it.each([...Object.entries(checkpointSql), ...Object.entries(catalogSql).filter(([, value]) => typeof value === 'string')] as [string, string][])('%s parses', (_name, sql) => {
    expectValidTsql(sql);
  });

  it.each(generatedStatements())('generated: %s parses', (_name, sql) => {
    expectValidTsql(sql);
  });

  it('generated statements quote every name and use MERGE with OPENJSON, varbinary for base64 columns', () => {
    const upsert = generatedStatements().find(([name]) => name === 'produto upsert')![1];
    expect(upsert).toMatch(/^MERGE dbo\.\[produto\] WITH \(HOLDLOCK\) AS t/);
    expect(upsert).toContain(`[imagem] varbinary(max) '$."imagem"'`);
    expect(upsert).toContain('CAST(r.[preco_base] AS decimal(18,4)) AS [preco_base]');
    expect(upsert).toContain('CAST(r.[atualizado_em] AS datetimeoffset(7)) AS [atualizado_em]');
    // Text is not cast: the assignment refuses what is too long instead of cutting it.
    expect(upsert).toContain('r.[codigo_barras] AS [codigo_barras]');
  });

  it('the check can fail', () => {
    expect(parseTsql(checkpointSql.advanceDelta.replace('UPDATE', 'UPDATTE'))).not.toEqual([]);
  });
});
