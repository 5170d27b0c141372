import { describe, expect, it } from 'vitest';
import { identifierPieces, isCardNumber, luhnValid, nameFragments, TextSegmenter, wholeNamesSource } from '../../anonymise/text.js';

const kinds = (text: string, known?: string) => new TextSegmenter(known).segments(text).filter((s) => s.kind !== 'other').map((s) => [s.kind, s.text]);

describe('TextSegmenter', () => {
  it('finds every kind of identifier, and the segments add up to the text', () => {
    const text =
      'GET https://api.bank.example/v1/acct?id=7 from alice.o@bank.com at 10.20.30.40:8080 and fe80::1 on host-a.bank.local ' +
      'trace ffc8ca7e4c8f06c7 order f3d4d4ef-693b-4456-8eed-59c0d717dd08 card 4111 1111 1111 1111 acct 12345678 ' +
      'at 2023-01-29T08:42:22.383Z, on 2023-01-29 or 29/01/2023 at 16:42:22.382 took 0.5 of 123456.7 ms';
    const segments = new TextSegmenter().segments(text);
    expect(segments.map((s) => s.text).join('')).toBe(text);
    expect(kinds(text)).toEqual([
      ['token', 'GET'], ['url', 'https://api.bank.example/v1/acct?id=7'], ['token', 'from'], ['email', 'alice.o@bank.com'], ['token', 'at'],
      ['ipv4', '10.20.30.40'], ['token', '8080'], ['token', 'and'], ['ipv6', 'fe80::1'], ['token', 'on'], ['host', 'host-a.bank.local'],
      ['token', 'trace'], ['hex', 'ffc8ca7e4c8f06c7'], ['token', 'order'], ['uuid', 'f3d4d4ef-693b-4456-8eed-59c0d717dd08'],
      ['token', 'card'], ['digits', '4111 1111 1111 1111'], ['token', 'acct'], ['digits', '12345678'],
      ['token', 'at'], ['datetime', '2023-01-29T08:42:22.383Z'], ['token', 'on'], ['date', '2023-01-29'], ['token', 'or'], ['date', '29/01/2023'],
      ['token', 'at'], ['time', '16:42:22.382'], ['token', 'took'], ['decimal', '0.5'], ['token', 'of'], ['decimal', '123456.7'], ['token', 'ms'],
    ]);
  });

  it('keeps compound identifiers whole and does not see addresses in code', () => {
    expect(kinds('t.s.TravelServiceImpl#532 getRouteByRouteId ts-travel-service-64469b5b48-25zj6 SYS_ROUTE_NOT_FOUND Repo.add::cafe')).toEqual([
      ['token', 't'], ['token', 's'], ['token', 'TravelServiceImpl'], ['token', '532'], ['token', 'getRouteByRouteId'],
      ['token', 'ts-travel-service-64469b5b48-25zj6'], ['token', 'SYS_ROUTE_NOT_FOUND'], ['token', 'Repo'], ['token', 'add'], ['token', 'cafe'],
    ]);
    // A hex-looking run inside a word, a number inside a word: the word is one token.
    expect(kinds('user123456x deadbeef99x')).toEqual([['token', 'user123456x'], ['token', 'deadbeef99x']]);
  });

  it('matches known names that are not single tokens as a whole, never inside a longer name', () => {
    const known = wholeNamesSource(['core.account-service', 'host-a.bank.local', 'a.b']);
    expect(kinds('to core.account-service, not core.account-service-2 nor x.core.account-service', known)).toEqual([
      ['token', 'to'], ['known', 'core.account-service'], ['token', 'not'], ['token', 'core'], ['token', 'account-service-2'], ['token', 'nor'], ['host', 'x.core.account-service'],
    ]);
  });
});

describe('identifier pieces and name fragments', () => {
  it('splits on kebab, snake, dots, paths and camel case, lower case, digits kept with their letters', () => {
    expect(identifierPieces('getTicketListByDateAndTripId')).toEqual(['get', 'ticket', 'list', 'by', 'date', 'and', 'trip', 'id']);
    expect(identifierPieces('/api/v1/orderOtherService/orderOther/{accountId}')).toEqual(['api', 'v1', 'order', 'other', 'service', 'order', 'other', 'account', 'id']);
    expect(identifierPieces('HTTPServer_requests-total PodClientLatencyP90(s) ts-travel2-service getV1Routes')).toEqual([
      'http', 'server', 'requests', 'total', 'pod', 'client', 'latency', 'p90', 's', 'ts', 'travel2', 'service', 'get', 'v1', 'routes',
    ]);
  });

  it('gives an attacker the pieces and the pieces written together', () => {
    expect(nameFragments('ts-travel-service').sort()).toEqual(['service', 'travel', 'travelservice', 'ts', 'tstravel', 'tstravelservice'].sort());
    expect(nameFragments('api-gateway-01').sort()).toEqual(['api', 'apigateway', 'apigateway01', 'gateway', 'gateway01'].sort());
  });
});

describe('card numbers', () => {
  it('checks the Luhn digit and the ISO/IEC 7812 length', () => {
    expect(['79927398713', '4111111111111111', '5500005555555559', '6011000990139424'].map(luhnValid)).toEqual([true, true, true, true]);
    expect(['79927398710', '4111111111111112', '12a4'].map(luhnValid)).toEqual([false, false, false]);
    expect([isCardNumber('4111111111111111'), isCardNumber('79927398713'), isCardNumber('4111111111111112')]).toEqual([true, false, false]);
  });
});
