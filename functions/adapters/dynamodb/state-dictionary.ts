/**
 * Preset dictionaries of the customer item's compressed state: deflate starts each item with the
 * dictionary as its history, so the keys, campaign ids and common values an item repeats from every
 * other item cost a back-reference instead of their spelling. A state of 6–9 KB of JSON deflates to
 * about 1.5–1.9 KB alone and to about 0.9–1.2 KB with the dictionary: most items stay under the 1 KB
 * a write request unit covers (bench/state-dictionary.ts made it and measures it).
 *
 * Each dictionary is frozen once items are written with it: an item names its dictionary by its first
 * byte, and readers keep every version (test/unit/customer-codec.test.ts pins their digests).
 */
import { inflateRawSync } from 'node:zlib';

/** Version 1: 32 KB of the JSON of 40 synthetic customers (contacts blanked), deflated, base64. */
const V1 = [
  '1V3Zcts4s34X5lb0wU6Ad7GjJI7XJIqzTOWCC2irIpMuikp+l8fvfgokJREkuMiRZE95pioQG63e0Ng+NQF0ATgAAPywRpb8',
  '3900lfPXmeVaCCBmA2gjOgHAzf9bkgWLeZbcyvQ4tFwrAAAAgqyR5aderD4JZeQtZpn1OHqwZJyl9zldkoYydZOC2gYAQMXJ',
  'u73zptexoogXs9nIukumcTa3XAjhyEqlN09iy7W8IEgX3swaWV4pG7UBtqGYQOgS7FLarkJOthUVyk9flfSvomk6z+xcMTu7',
  '8eJf9n2yeJXEgaypZhkprYq2AFS09ZN4MX9hugbe/Mb3gl+2f29nU5m+6vCkVSe22vz6EjX1p2l2E3r3di7cKyVVXT+dpKId',
  '7fMjsxGbAOqCjmFHbeDkZLvQTrnDXtzZ18ksNIZqlaCiGR6mmeNi0plQ2NY0y3nfu2uDdeYTW3dN0VnXwGj0igYFw79Ifqmc',
  '39kIIGILLkXk+xHCHCMWRJ2iM9CXCYWN4ARSF3MXwXbb52T7yQ6DVe3MFRx1x9ze9V7HXDk3dscc6o65tvl1OzFX95EXx9Pf',
  'Mp176b19L710dv+K1J3RpKm4A3WmgJUyrDO5OX+5pvg5yjOU5VrvigSVRreWa91MfZnGXjaNr9V3xtfetbyVcWa5D5Z/f5oE',
  '3ux9skgt9x8wav7B8v/ln1i3f46smTfP9CWRmEDsQrES/1HZJZBxNv4t4+w4nFvuP5b8nRUjAKn5cdXCmBQSFs2AAwiDAFIu',
  'IQUcVZ9FQkgeMhj5TJJIeNVnnheiAAgvwiASUaT1QxEVADHgR4wwGAGNJ/AQhr5EgUAQ+KL6TDowCjh1AhkS6sHcul3jeNUx',
  'lDQISeBgTCMeElp9JlgY+Y5kIY+AI0JNeRlEiOGIMEwZjwJNCYEEgpwGBDqh9InUvo9yRBACEfIxi3SeLJIAAe6JyEfc56H1',
  'c2RFUzkLJ9NbOVfxkC/Gzr1bWbgUlRGpXEpcXLj0X9172fRW/kjiDXoEyUKNxA06TLMNqGcqojcQZ7liGd5D3nrT2Sb6xnMZ',
  'ZwdP7Da/nW/e6W4xvxna63FkJUGwSFMZB5UwMK/e3Ydhy/csnV5f58nodjqT80xFyMiaZ162UOpM5/OFDAcsb+cyDl/30AQ3',
  'XhzLWZFaciP/bNk/FHNGLu16Tgq8uzsZWm6WLuRIpVOZpqodebO5HFlJFCk9yq6qob7o58j67aVTz58VJstuUjm/UXnXhcqg',
  'cSDHv1U/xfVxZP2ZxnY+lwtgh959sXgu9GnYtE6rmTNM0lsvDu77rMlsyBszTs2aRppOa27Hlg9WkIRqiB5dnI0PXx+d2O/g',
  'KTs6n3Djkp+ZJs9Coov4QglQLsJvp/GhN/8ls1zQcj14KdMgn+6WEmbyOlHpR7UfO1yam94VQHNnrsjjyGpuFuperO0W1h4s',
  'H/Q70LBrWDqw1GXtqp9t+5HAu7MLkyr+Le4q3fPU2K+sOjaIfbX23EnsQ5Svajtj30zzLLEP4ccjRk7emGJficlfWuzfyXSe',
  'xN7MLrrbf6T8Nbt/tVoDooZXzT003+oknR4uv0VNaa0ebqPZp4fPvn8dj0/sb/AKfX93/KntFFE0hKz596+9W5foOz197Vye',
  'TaxqJytL8uFWZw4d7espAEDtpnSOHL7+9Obs9bHO8dc0C25kbGIqBjA9caDz9t0PrDP14nsDQ50fzBnWg3qArsIY8Mb9YT3G',
  'jRvEdXxXHg8IbtqZvtpoOoMb7WchdJvE2c3ccgkfWcoM6p9PyiJiL1lEDMgi4iVkkc/w3fjD1RUwZhFkA7r3LHJ4cnr4+ZPD',
  'tpdF3sMvVx+/Hp9uNYscQzo++fHl6zNnkcfHh8aRjelsBygPq0QxVQFEwMha3IVeJpuDX7jAcQFfuTtNoulM1rbxhVNTeT2d',
  'ZzKV1dU/tyGbQOJSWgma9W74IR++ShvKR8WwtlwysvKH7HFNenTjxdeyzAWV44DxIk3u5P8dynQ2jbV9/5vxelf/3rv1F+l1',
  'deMuY7WMDJI484Ist3m5dS7PEG9y/mVjMb+ZJL9kvIrXcgtc7fdgXadenK0HnddjBVkcVilZlhtlzhwlVb4br/ArB+3TGRY7',
  '9e1xVKF3l10sVgNaZcBc5jwNqZuYkTW/kyoQOSIHAo2KeMnThB4eYgK5i5gL0PJb1YGfRphHI+QTBFwKXYxXp375VxzeH61G',
  'y4M1v0lUmEBKDwRXjooiKe1oOstyufCBEKV37cCbK1IMc8r8M9V0UE4TpnKeP0dUHAj+OFrp9mCpyzdIYXH55j7U7NjUKEsy',
  'b7YWanVssMoW02LYa8Ir/X4t8vT/+eSL/fn9ha2+7qfqFAdyNls5Usm2lgjpEkFgA0ed0hNcGcilRKU51pOKLo/JejWxjt6+',
  'tdV3msVan1+iEHgEUt+PKPEhjWpCwnynJFyAXQLrQkLNag0pm96syXj5/sgGQB2Lrluk35C4KmMRg2gCmavCsO7aZdSs9sdG',
  'IVfh1RDwPBewz4hMQj+IgIOc0IEUO00B64NkJWARxZWVWl3AZrxXJXzz6XOrmx/zeSFclHm0GqyrXd4/leFRMFlNcEXQl6m7',
  'ONmqBladRR7PNRa1OG3wWgZAg5cKuxqvajS1MCLbYHRukKgMMhMjA4+lT0w8eI3H0rsVJo/rYHiwfG/m5QdMBKKRNZtGUk2y',
  'Yy+NlZ/zD/1F8EtmxSKtXB1exKvYyx1bPRFF+XWYTueU+lUuV1upePXqi5I2uvwOcH3/r1ZSMpf68P6sWE48LEMvl2q0tJFK',
  'FUAZYSbDfF3/jxkus8rznXCZviti47TQXGPzQbAKSOFG14+Qwn2CZZ5dVyNYpsWPnRfgL0zPRlDizqDEnUHZNqGZLowh2r+j',
  '8AaOwn0X43vWs443aczbXW5DA9zWnOaN6vBd5ZIouykyREsGWT3XkngvfuGZ9eqA0fR4sCs40QvXOpW/p/KPnco/XhqWra4k',
  'Y2kdtNl3CD6ldqLwVHxKi6ZrfMrn6ex37ocCoTJL7vNx9BRsiv6Hl/+qYVOKVaCjZoTKdVo3NkXtpivgFJ4fdK2aEAhexVZg',
  'DAgNQ99hGEohtWehH2JCUOSHNODY08AqNGTUcyTwwwhign2rc2NW6UhIgL0ASOoIAiLoa8JRBKzOzYlGLGgvEsR4CvFvzVY6',
  'FGRQFw0LMqzHCgwyiLyKBhnUQYeDDOpSAXYMoi8PsDYwUgNAslG/FYJko15rCMmAbi8FQ2Jc99VQD0aa/wKGpDG3Nw1Zndw3',
  'NV/bhNe4EDHQdN880X2bj5rMF6TJfG7P5Wxme1EmU/tukQY33ly+6j7F0RcTbUw0g6+pqhafL+7u8r3+JlbvQnoMwHlYPeuk',
  'beA/DAdGfrK4vsmOmoccLxpQoBZAfYCCOs0zXAUeQ3ECPr45agcU1IXc9VXgF3jx+fhIIMt8OFZnz/VrNtOt3berH4dHb0/f',
  'WC1HZY07N9DPk38VX9jxtwvLeMbZ4Ij6OV7CD2NyIbDVcbrY4Ev6+Y4/Tr5+/3Q6HnJnSTV2qPvGstUl0HxJ378BqY/M+g6k',
  'goAIMnWnOQj8UNuJGMEPNZrOgTh4Bvq7TFiquLSC9aKBD/3ZTryEbHcI6cWb95cf2oEP+8526O27H+jk6HJ72W4M2Tv+Hoy3',
  'me3ewKtv4zcXeHvZ7vTk6vw9Be+2ne0+wFNyDi/oM2e7pyE0HNGC0CDqoERB7vGTERo5+BNiFzMXsy6EhvodXInQoCVCA8Kt',
  'QTRWj58HoWG0ggH+gBgehtDYkOEAhMZGHPsRGmyF0ICcHnDRgtAg+dk5dRF2EetGaDSisQ2h4d3eJckSfBAkcThVM5oaJE7+',
  'UQ55ciEpn6u7XculzoFgTUAHy4lK4AQDectPkl/qVgAZcRvMMeE2jHoucRs9AIQ+jRpIjtf5JXJ5z31x3ofrKCRGTYmJ2tGp',
  'i40G0oR0AzsqFq4JN7n4bgPAeqEIYYikDKAUAgLqML8mnFDCQeAi9TOaOhTB6Tbn0uM5XR1ucqFQAXhluy7wScV2uAY3Qep4',
  'BkEXcJfWMTGcHghngHjQqcRnV0AaVXCsKsxhGQwFboL1K0QaCikcOnSBcAkwhK8YohBsExb2hoNDCUIhDzEjkoeQN5Aphqlq',
  'CZ1B3eFQG81V6Q4vTirRULTocIzKayOWI08FDYxKMcKbKJVy9A5hUs0LDUbLcWdiRGqMSkhoQ5RiaDQ4iCaH0uUtPNAWeDhN',
  'jAxqYn9aeZSjYjiPdvDPckwN4dWGRSpHgYEFQgNVWsaqAa2D6qYtQr6FBX0aixa4j9q01uE+Qn3YDfchOoynXHKbYEGID6Ar',
  'DKmd5nYgeUh5Wl60aFn3o4LyWbYgKli1oXy0q1Dm7BMkY1xvNPeeZBgmobhVGn7ty5zd1llRd6ETwPvqrDAbgu1op1UjUWz/',
  'thqJUbT+yhBP8UT1Rz3MLn7b8gp21YZYUm2GylI/8hOdLmFLsl0E3C5QI20rn4ZeBdlT9do6qgCM0AjiERyhJsygCStYqkjY',
  '0JIXDFdv3wnQSztAjokfMRAgKIXjaaRQI2U+4CIKPMERhIzB6jOfY4xgyIXAAQwi7ZkHuRcwjzLEIXMKaVZVJ3jkABYyDgnj',
  'TEcx+AA5AvEgCIhPmMB6OQ7sCewRFDEZIaw9A2FIQw/xECCHMqBXx6AARYRSGbLA9/JKFh3bmEpHDglAgEHJfBaEUKvV4XAH',
  'ShhI7iAOEXc0+1IfBl5AIfVYRKBeNwR4mBAchlIC6AWaEhgGDuYKjwEEiHCtrAblvgwB8yMCJGZaDRPqA+ig0HM4k5FuNA6g',
  'wySHkRTU83XDkIiHHhaCiIDQ0NfKpMAyENZtpPH1JEBRhAXiHvYFCqzOzcAA5EfzdOPfWjg3kB/9XerIjwE9qsiPfvIa8qO/',
  'QwP50d9FR2QMUdqE5Bjer4rkGN5LQ3L0dXspSA7jIqyG5DDS/IergeT7yZ1UA3HUmU/XhU8bzbNURDiDk2/f0XfSVgAQ9l35',
  '7LsiQmuFi2340wgbKfbI+Tme0aeDYSNJMguTP/GuaoN0mm3HgKa2FWizEkiT5r8AaHoxdTjggDoc8Nkvkq/g+PADe3/ZUYcD',
  '7vci+fPV1Sk/++QMu6LltatPw+/nv3xkX75/4pb51KvnFtnEcQLfXoCr8Ter+1iv5zbZxJnA1+LcGX8fVj2A9PKjAF9eIvxh',
  '80tk2nmH3Hph/sKrWsABVS2ef0yKszE8/fYFdVS12POYPDubEMjfgm2NyW/n34/HX8c/tjcm+YWA/Men15bxUPkJQxG/P788',
  'P3kLNx3k/YPyGH4Tp5cf3z3roHwargNxM66jgOpiuCyluDGuA6mfSUOguADHhZ2VN7izwnWowMifOsNxHadJHCY6ruPd4Xon',
  'febFwY1U0u0L21FDTrSZwoCcgGIAtmNjfn3Qjg0Z9iM7IF5BOzAEBxy2QDuQDcgECpc46nJ1QPGNSkD2QDsYOxCwhoTgVWwG',
  'KpAadzKzoyRRkhblCbI0WcxzLXhxaz3/I71sfjNNlY5EaJAQZK7xUVRi+D3NvNtprOxRVlzQcSCAABMOxGiU8qba6b5HX2nf',
  'ivnAHRf7pTx1lAfOfxQjXIWl4E/FpaAmLoUPw6XQfolxQ2LE1OEP5cry+7cgaeBk1GEUcSlzEalDUUC3QNVoNWIPBtiH1uSh',
  'NsTKo8hpYk+I04090QzUGD4tFisrTownPWVPSnlZTV4nXyERlyIXOM/gT6chD6TqSIIyZa7aiKjVimlU2BmQX+qAqLzKBl8C',
  'dL5OhnmdN6RGTCGOMHNBHV+G+DDEUUe+M8J2iIYxGmBq0ShmpIo6Oy6BCn5XMzXq9n0z/1YFvDqe9KDeCpEgaIqU2xEiF9D9',
  'RyOEjepKEKjaAoC78DnkQQ0gGIDKPgi5QDyDPLilJpG2mN2tPK1YLwM2Sk331qgyc60aKk2vGioHrhq8Qpb7f9VQxrdG7VV4',
  'GjAyvsIotWDR1PS/GRaNDmLSiUUz44zKqXQYVGk52zRY5Gat1TdazmJNUFyZextc1BxQB8UtM3sTAFbm7CFcqtNBCwyMmBgh',
  'thGyDW/Aox3ZtkyihipbqK7YKh33QsI4MFSAUlfhfZgwWkR/pRjTyEyWD6wq1MtIl3unQmcGjpXjr4JM6gCOoTpwDK9bTl6p',
  'oxzUOd0w3BggYJ+4MeP+xHisRYa85AVs+B4b0F4uZLX83ka5EFqEk9pHIOKSjjeR5WQ70XQ3gCXz+t+kF8Tb0av66r9yRf1X',
  'tcyMC/CmAjnZThzT8jI8o25/Ud/r2fXcJUSzKAvagwfMS9oAthvtDAXP8RZfiLVam4MeyGNBthMVd/W2P/OuY5eaVfG1eUz8',
  'Jb7WHFdD3rwGNntLXLnA75AV9r4lzjiZPlnWlleoPR1K2vpXQZKWJ+cdmNEC37hqca69NQ1paEBMdXwp1Z4SRqpNCjTODtSA',
  'hg6lWlOAalMArDd1ISHUqGFNTEgpGfD+McPx+7+6WervH+vvUXv/2IAOlfeP9VPr7x/rp6+/f6y/h/YisX7ySrmpYeYxvK5s',
  'eLfK68qGd6q+rqyv10sBKBpX+0PgV3pSixO7tMLOXs/UA0bs3zVstcZH2/ZhiOnofi03qJzHzkFs5l3JEHMh+myRZgSs7fyl',
  'aebF1+YvTduDqXremdZerKx+oLu38mTaMfGmOFOzRfXT6R3UI9PPUhtVyZbntUbUyP8D',
].join('');

let v1: Buffer | undefined;

/** The dictionary of a version byte (undefined: no such version). */
export function stateDictionary(version: number): Buffer | undefined {
  if (version !== 1) return undefined;
  v1 ??= inflateRawSync(Buffer.from(V1, 'base64'));
  return v1;
}

/** The version new items are written with. */
export const CURRENT_DICTIONARY = 1;
