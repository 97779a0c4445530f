/** Alibaba's Taobao UserBehavior.csv (pv events are the clicks). */
import { readTaobao } from '../data/taobao.js';
import type { DataSource } from './dataSource.js';
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
    const { log, stats } = await readTaobao(file, { progress, maxMalformedFraction: config.maxMalformedFraction });
    return { log, name: 'taobao', stats };
  },
};
