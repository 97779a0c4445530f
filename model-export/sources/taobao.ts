/** Alibaba's Taobao UserBehavior.csv (pv events are the clicks). */
import { readTaobao } from '../data/taobao.js';
import { malformedSummary, type DataSource } from './dataSource.js';
import { findFile } from './files.js';

export const taobaoSource: DataSource = {
  name: 'taobao',
  description: "Taobao UserBehavior.csv (user,item,category,behavior,timestamp; pv events are the behaviours)",
  dataHelp: 'UserBehavior.csv (or .csv.gz), or a directory holding it',
  protocols: ['next'],
  defaultProtocol: 'next',
  defaultSplit: { by: 'user', testFraction: 0.2, assign: 'modulo' },
  async read(data, config, { progress }) {
    const file = findFile(data, /^UserBehavior\.csv(\.gz)?$/i, 'UserBehavior.csv');
    const types = config.conversion?.eventTypes;
    const bad = types?.filter((t) => !['fav', 'cart', 'buy'].includes(t));
    if (bad?.length) throw new Error(`conversion.eventTypes for taobao: fav, cart or buy, not ${bad.join(', ')}`);
    const { log, stats } = await readTaobao(file, { progress, maxMalformedFraction: config.maxMalformedFraction, ...(types ? { conversionTypes: types as Array<'fav' | 'cart' | 'buy'> } : {}) });
    return { log, name: 'taobao', stats, malformed: malformedSummary([[file, stats]]) };
  },
};
