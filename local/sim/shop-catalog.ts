/**
 * The synthetic shop's catalog: about 120 products in the categories the sample campaigns use.
 *
 * The catalog is a constant (it does not depend on the seed), so SKUs, categories and replenishment
 * intervals can be named in campaign files and tests. Prices are in EUR and converted per currency
 * with shop-style rounding (x.99, or whole roubles ending in 9).
 */

export interface Product {
  sku: string;
  name: string;
  category: string;
  /** Base price in EUR. */
  price: number;
  /** Whether customers re-buy it at a regular interval (coffee, diapers…), as opposed to one-off goods. */
  replenishable: boolean;
  /** The population's typical re-purchase interval, for replenishable goods. */
  intervalDays: number | null;
}

export type Currency = 'RUB' | 'EUR' | 'GBP' | 'USD';

interface CategorySpec {
  category: string;
  code: string;
  intervalDays: number | null;
  priceMin: number;
  priceMax: number;
  /** Popularity in random baskets. */
  weight: number;
  names: readonly string[];
}

const CATEGORIES: readonly CategorySpec[] = [
  {
    category: 'coffee',
    code: 'COF',
    intervalDays: 30,
    priceMin: 7,
    priceMax: 26,
    weight: 8,
    names: [
      'Espresso beans 1 kg',
      'Arabica ground 250 g',
      'Colombia single origin 500 g',
      'Decaf beans 500 g',
      'Ethiopia Yirgacheffe 250 g',
      'House blend 1 kg',
      'Dark roast 500 g',
      'Coffee capsules x50',
    ],
  },
  {
    category: 'coffee-filters',
    code: 'CFF',
    intervalDays: 60,
    priceMin: 3,
    priceMax: 7,
    weight: 2,
    names: [
      'Paper filters #2 x100',
      'Paper filters #4 x100',
      'Pour-over filters x200',
      'Chemex filters x100',
    ],
  },
  {
    category: 'shampoo',
    code: 'SHA',
    intervalDays: 45,
    priceMin: 4,
    priceMax: 14,
    weight: 5,
    names: [
      'Daily shampoo 400 ml',
      'Anti-dandruff shampoo 250 ml',
      'Colour care shampoo 300 ml',
      'Kids shampoo 300 ml',
      'Volume shampoo 400 ml',
      'Sensitive scalp shampoo 250 ml',
      'Solid shampoo bar',
    ],
  },
  {
    category: 'conditioner',
    code: 'CON',
    intervalDays: 45,
    priceMin: 4,
    priceMax: 13,
    weight: 3,
    names: [
      'Daily conditioner 400 ml',
      'Repair conditioner 250 ml',
      'Colour care conditioner 300 ml',
      'Leave-in conditioner 200 ml',
      'Volume conditioner 400 ml',
      'Conditioner bar',
    ],
  },
  {
    category: 'baby-food',
    code: 'BBF',
    intervalDays: 14,
    priceMin: 2,
    priceMax: 9,
    weight: 3,
    names: [
      'Apple puree 6x90 g',
      'Vegetable puree 6x125 g',
      'Porridge 200 g',
      'Infant formula 800 g',
      'Baby biscuits 150 g',
      'Fruit pouches 4x100 g',
      'Meat puree 6x80 g',
    ],
  },
  {
    category: 'diapers',
    code: 'DIA',
    intervalDays: 21,
    priceMin: 14,
    priceMax: 32,
    weight: 3,
    names: [
      'Diapers size 1 x60',
      'Diapers size 2 x72',
      'Diapers size 3 x80',
      'Diapers size 4 x76',
      'Pants size 5 x60',
      'Night diapers size 4 x40',
    ],
  },
  {
    category: 'pet-food',
    code: 'PET',
    intervalDays: 30,
    priceMin: 9,
    priceMax: 42,
    weight: 5,
    names: [
      'Dry cat food 2 kg',
      'Wet cat food 24x85 g',
      'Dry dog food 3 kg',
      'Dry dog food 12 kg',
      'Wet dog food 12x400 g',
      'Kitten food 1.5 kg',
      'Senior cat food 2 kg',
      'Puppy food 3 kg',
    ],
  },
  {
    category: 'vitamins',
    code: 'VIT',
    intervalDays: 60,
    priceMin: 7,
    priceMax: 28,
    weight: 4,
    names: [
      'Vitamin D3 x60',
      'Multivitamin x60',
      'Omega-3 x60',
      'Magnesium x60',
      'Vitamin C x60',
      'Kids multivitamin x60',
    ],
  },
  {
    category: 'contact-lenses',
    code: 'LNS',
    intervalDays: 90,
    priceMin: 20,
    priceMax: 48,
    weight: 2,
    names: [
      'Daily lenses x90',
      'Monthly lenses x6',
      'Toric monthly lenses x6',
      'Two-week lenses x12',
      'Daily lenses for astigmatism x90',
    ],
  },
  {
    category: 'trousers',
    code: 'TRS',
    intervalDays: null,
    priceMin: 29,
    priceMax: 95,
    weight: 6,
    names: [
      'Slim chinos',
      'Straight jeans',
      'Cargo trousers',
      'Wool trousers',
      'Linen trousers',
      'Joggers',
      'Corduroy trousers',
      'Tailored trousers',
    ],
  },
  {
    category: 'sweatshirts',
    code: 'SWT',
    intervalDays: null,
    priceMin: 25,
    priceMax: 75,
    weight: 5,
    names: [
      'Crewneck sweatshirt',
      'Hoodie',
      'Zip hoodie',
      'Fleece sweatshirt',
      'Oversized sweatshirt',
      'Half-zip sweatshirt',
      'Kids hoodie',
    ],
  },
  {
    category: 'dresses',
    code: 'DRS',
    intervalDays: null,
    priceMin: 35,
    priceMax: 130,
    weight: 5,
    names: [
      'Summer dress',
      'Wrap dress',
      'Knit dress',
      'Shirt dress',
      'Evening dress',
      'Midi dress',
      'Linen dress',
    ],
  },
  {
    category: 'shoes',
    code: 'SHO',
    intervalDays: null,
    priceMin: 45,
    priceMax: 160,
    weight: 5,
    names: [
      'Running shoes',
      'Leather sneakers',
      'Chelsea boots',
      'Loafers',
      'Winter boots',
      'Sandals',
      'Trail shoes',
      'Ankle boots',
    ],
  },
  {
    category: 'phones',
    code: 'PHN',
    intervalDays: null,
    priceMin: 180,
    priceMax: 950,
    weight: 2,
    names: [
      'Phone A15 128 GB',
      'Phone Note 12 256 GB',
      'Phone Pro 256 GB',
      'Phone Mini 128 GB',
      'Phone Ultra 512 GB',
    ],
  },
  {
    category: 'phone-cases',
    code: 'PHC',
    intervalDays: null,
    priceMin: 8,
    priceMax: 32,
    weight: 4,
    names: [
      'Silicone case',
      'Leather case',
      'Clear case',
      'Wallet case',
      'Rugged case',
      'Screen protector x2',
      'MagSafe case',
    ],
  },
  {
    category: 'toys',
    code: 'TOY',
    intervalDays: null,
    priceMin: 7,
    priceMax: 65,
    weight: 6,
    names: [
      'Building blocks 500 pcs',
      'Plush bear',
      'Puzzle 1000 pcs',
      'Remote-control car',
      'Board game',
      'Wooden train set',
      'Doll house',
      'Science kit',
    ],
  },
  {
    category: 'books',
    code: 'BOK',
    intervalDays: null,
    priceMin: 8,
    priceMax: 28,
    weight: 8,
    names: [
      'Crime novel',
      'Cookbook',
      'Children picture book',
      'History of Europe',
      'Science fiction novel',
      'Self-help guide',
      'Travel guide',
      'Poetry collection',
    ],
  },
  {
    category: 'kitchen',
    code: 'KIT',
    intervalDays: null,
    priceMin: 9,
    priceMax: 160,
    weight: 6,
    names: [
      'Chef knife',
      'Cast-iron pan 28 cm',
      'French press',
      'Coffee grinder',
      'Cutting board',
      'Kettle',
      'Storage jars x3',
      'Stand mixer',
    ],
  },
];

/** Shop-style price: x.99 (at least 0.99). */
function shopPrice(value: number): number {
  return Math.max(1, Math.round(value)) - 0.01;
}

function buildCatalog(): Product[] {
  const products: Product[] = [];
  for (const spec of CATEGORIES) {
    const n = spec.names.length;
    spec.names.forEach((name, k) => {
      // Prices spread evenly over the category's range, in a scrambled order so the SKU number says nothing.
      const position = ((k * 11 + 2) % n) / Math.max(1, n - 1);
      products.push({
        sku: `SKU-${spec.code}-${String(k + 1).padStart(3, '0')}`,
        name,
        category: spec.category,
        price: shopPrice(spec.priceMin + (spec.priceMax - spec.priceMin) * Math.min(1, position)),
        replenishable: spec.intervalDays !== null,
        intervalDays: spec.intervalDays,
      });
    });
  }
  return products;
}

export const CATALOG: readonly Product[] = buildCatalog();

export const PRODUCTS_BY_SKU: ReadonlyMap<string, Product> = new Map(CATALOG.map((p) => [p.sku, p]));

export const PRODUCTS_BY_CATEGORY: ReadonlyMap<string, readonly Product[]> = (() => {
  const byCategory = new Map<string, Product[]>();
  for (const product of CATALOG) {
    const list = byCategory.get(product.category) ?? [];
    list.push(product);
    byCategory.set(product.category, list);
  }
  return byCategory;
})();

/** Category popularity in random (non-routine) baskets. */
export const BASKET_WEIGHTS: readonly (readonly [string, number])[] = CATEGORIES.map((c) => [
  c.category,
  c.weight,
]);

/** How often regular buyers pick each replenishable category as their routine purchase. */
export const ROUTINE_WEIGHTS: readonly (readonly [string, number])[] = [
  ['coffee', 25],
  ['pet-food', 18],
  ['shampoo', 12],
  ['diapers', 10],
  ['vitamins', 10],
  ['contact-lenses', 10],
  ['baby-food', 6],
  ['conditioner', 5],
  ['coffee-filters', 4],
];

/** Categories bought together: the second is a natural add-on (and a cross-sell target) of the first. */
export const RELATED_CATEGORY: Readonly<Record<string, string>> = {
  coffee: 'coffee-filters',
  'coffee-filters': 'coffee',
  shampoo: 'conditioner',
  conditioner: 'shampoo',
  diapers: 'baby-food',
  'baby-food': 'diapers',
  phones: 'phone-cases',
  trousers: 'sweatshirts',
  sweatshirts: 'trousers',
  dresses: 'shoes',
  'pet-food': 'toys',
};

/** The product's unit price in a currency: whole roubles ending in 9, otherwise x.99. */
export function priceIn(product: Product, currency: Currency): number {
  switch (currency) {
    case 'RUB':
      return Math.max(1, Math.round((product.price * 95) / 10)) * 10 - 1;
    case 'EUR':
      return product.price;
    case 'GBP':
      return shopPrice(product.price * 0.86);
    case 'USD':
      return shopPrice(product.price * 1.08);
  }
}
