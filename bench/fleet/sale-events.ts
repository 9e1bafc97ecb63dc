import { randomUUID } from 'node:crypto';

/**
 * A venda.finalizada event as push-service sends it: the envelope, and the payload as a JSON string written by
 * the PDV's trigger (decimals as strings). Its items move the loja's stock (estoque) on central.
 */
export function saleEvent(pdvId: string, lojaId: number, caixaSessaoId: string, numero: number, products: number): Record<string, string> {
  const itemCount = 1 + Math.floor(Math.random() * 3);
  const itens = [];
  let total = 0;
  for (let item = 1; item <= itemCount; item += 1) {
    const produtoId = 1 + Math.floor(Math.random() * products);
    const preco = 9.99 + produtoId;
    const quantidade = 1 + Math.floor(Math.random() * 2);
    total += preco * quantidade;
    itens.push({
      item_numero: item,
      produto_id: produtoId,
      descricao: `Produto ${produtoId}`,
      quantidade: `${quantidade}.0000`,
      preco_unitario: preco.toFixed(4),
      desconto: '0.0000',
      total: (preco * quantidade).toFixed(4),
    });
  }
  const now = new Date();
  const payload = {
    venda_id: randomUUID(),
    numero,
    loja_id: lojaId,
    pdv_id: pdvId,
    caixa_sessao_id: caixaSessaoId,
    cliente_id: null,
    status: 'FINALIZADA',
    subtotal: total.toFixed(4),
    desconto: '0.0000',
    total: total.toFixed(4),
    iniciada_em: new Date(now.getTime() - 90_000).toISOString().replace('Z', ''),
    finalizada_em: now.toISOString().replace('Z', ''),
    itens,
    pagamentos: [{ sequencia: 1, forma_pagamento_id: 1, valor: total.toFixed(4), troco: '0.0000' }],
  };
  return {
    eventId: randomUUID(),
    type: 'venda.finalizada',
    streamKey: `caixa:${caixaSessaoId}`,
    occurredAt: now.toISOString(),
    payload: JSON.stringify(payload),
  };
}
