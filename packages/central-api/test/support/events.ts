import { randomUUID } from 'node:crypto';

export interface TestEvent {
  eventId: string;
  type: string;
  streamKey: string;
  occurredAt: string;
  payload: string;
}

let sequence = 0;

/** A valid envelope with a small JSON payload; overrides replace any field. */
export function makeEvent(overrides: Partial<TestEvent> = {}): TestEvent {
  sequence += 1;
  return {
    eventId: randomUUID(),
    type: 'nfe.autorizada',
    streamKey: 'caixa:test',
    occurredAt: '2026-11-30T10:00:00.123-03:00',
    payload: JSON.stringify({ n: sequence, chave: `3526${String(sequence).padStart(40, '0')}` }),
    ...overrides,
  };
}

export interface VendaOptions {
  pdvId: string;
  lojaId: number;
  vendaId?: string;
  total?: string;
  itens?: Record<string, unknown>[];
}

/** A venda.finalizada payload as the PDV trigger writes it: decimals are strings. */
export function vendaPayload(options: VendaOptions): Record<string, unknown> {
  const total = options.total ?? '10.0000';
  return {
    venda_id: options.vendaId ?? randomUUID(),
    numero: 12,
    loja_id: options.lojaId,
    pdv_id: options.pdvId,
    caixa_sessao_id: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
    cliente_id: null,
    status: 'FINALIZADA',
    subtotal: total,
    desconto: '0.0000',
    total,
    iniciada_em: '2026-11-30T10:00:00.123456',
    finalizada_em: '2026-11-30T10:02:31.654321',
    itens: options.itens ?? [
      { item_numero: 1, produto_id: 5, descricao: 'Açúcar cristal 1kg', quantidade: '1.0000', preco_unitario: total, desconto: '0.0000', total },
    ],
    pagamentos: [{ sequencia: 1, forma_pagamento_id: 1, valor: total, troco: '0.0000' }],
  };
}

export function vendaEvent(options: VendaOptions, overrides: Partial<TestEvent> = {}): TestEvent {
  return makeEvent({ type: 'venda.finalizada', streamKey: 'caixa:7c9e6679', payload: JSON.stringify(vendaPayload(options)), ...overrides });
}

export function caixaMovimentoEvent(pdvId: string, lojaId: number, valor = '150.2500'): TestEvent {
  const payload = {
    caixa_movimento_id: randomUUID(),
    caixa_sessao_id: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
    loja_id: lojaId,
    pdv_id: pdvId,
    operador_id: 3,
    tipo: 'SANGRIA',
    valor,
    ocorrido_em: '2026-11-30T11:00:00.5',
    observacao: 'Sangria do turno da manhã',
  };
  return makeEvent({ type: 'caixa.movimento', streamKey: 'caixa:7c9e6679', payload: JSON.stringify(payload) });
}
