import { z } from 'zod';
import { ShopEvent } from '../functions/domain/events.ts';

const s = z.toJSONSchema(ShopEvent, { io: 'input', unrepresentable: 'any' });
console.log(JSON.stringify(s).length);
console.log(JSON.stringify(s, null, 1).slice(0, 3000));
