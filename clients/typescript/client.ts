// A small typed client for the School Improvement Hub, written against the types that
// openapi-typescript generates from openapi/openapi.json (into generated/, never committed).
// CI compiles it with `tsc --noEmit --strict`: when the contract changes shape under it, the
// build fails here before a front end finds out. See docs/clients.md.
import type { components, operations } from "./generated/schema";

export type Schemas = components["schemas"];
export type Establishment = Schemas["EstablishmentRead"];
export type EstablishmentCreate = Schemas["EstablishmentCreate"];
export type EstablishmentUpdate = Schemas["EstablishmentUpdate"];
export type EstablishmentPage = Schemas["Page_EstablishmentRead_"];
export type Token = Schemas["TokenResponse"];
export type Problem = Schemas["Problem"];
type ListEstablishmentsQuery = NonNullable<operations["listEstablishments"]["parameters"]["query"]>;

/** An answer that is not a 2xx: the problem+json body the server sent. */
export class ProblemError extends Error {
  constructor(readonly status: number, readonly problem: Problem) {
    super(`${problem.status} ${problem.title}: ${problem.detail ?? ""}`);
  }
}

/** A resource together with the ETag to send back in If-Match. */
export interface Versioned<T> {
  body: T;
  etag: string;
}

export class HubClient {
  private token: Token | null = null;

  constructor(private readonly baseUrl: string, private readonly fetcher: typeof fetch = fetch) {}

  /** OAuth2 password grant: a person signs in. */
  async login(username: string, password: string): Promise<Token> {
    return this.grant({ grant_type: "password", username, password });
  }

  /** Rotates the refresh token: keep the new one, the old one is now spent. */
  async refresh(): Promise<Token> {
    if (!this.token?.refresh_token) throw new Error("no refresh token: log in first");
    return this.grant({ grant_type: "refresh_token", refresh_token: this.token.refresh_token });
  }

  async listEstablishments(query: ListEstablishmentsQuery = {}): Promise<EstablishmentPage> {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined && value !== null) params.set(name, String(value));
    }
    const answer = await this.call("GET", `/api/v1/establishments?${params}`);
    return (await answer.json()) as EstablishmentPage;
  }

  /** Every establishment the caller may see, page by page (cursor pagination). */
  async *allEstablishments(query: ListEstablishmentsQuery = {}): AsyncGenerator<Establishment> {
    let cursor: string | null | undefined = undefined;
    do {
      const page: EstablishmentPage = await this.listEstablishments({ ...query, cursor });
      yield* page.items;
      cursor = page.next_cursor;
    } while (cursor);
  }

  async createEstablishment(body: EstablishmentCreate, idempotencyKey: string): Promise<Versioned<Establishment>> {
    const answer = await this.call("POST", "/api/v1/establishments", body, { "Idempotency-Key": idempotencyKey });
    return this.versioned<Establishment>(answer);
  }

  async getEstablishment(id: string): Promise<Versioned<Establishment>> {
    return this.versioned<Establishment>(await this.call("GET", `/api/v1/establishments/${id}`));
  }

  /** PATCH with If-Match: a 412 ProblemError means someone else changed it first; read and retry. */
  async updateEstablishment(id: string, etag: string, body: EstablishmentUpdate): Promise<Versioned<Establishment>> {
    const answer = await this.call("PATCH", `/api/v1/establishments/${id}`, body, { "If-Match": etag });
    return this.versioned<Establishment>(answer);
  }

  private async grant(form: Record<string, string>): Promise<Token> {
    const answer = await this.fetcher(`${this.baseUrl}/api/v1/auth/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form),
    });
    if (!answer.ok) throw new ProblemError(answer.status, (await answer.json()) as Problem);
    this.token = (await answer.json()) as Token;
    return this.token;
  }

  private async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    if (!this.token) throw new Error("log in first");
    const answer = await this.fetcher(`${this.baseUrl}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${this.token.access_token}`,
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!answer.ok) throw new ProblemError(answer.status, (await answer.json()) as Problem);
    return answer;
  }

  private async versioned<T>(answer: Response): Promise<Versioned<T>> {
    const etag = answer.headers.get("ETag");
    if (etag === null) throw new Error("the server sent no ETag");
    return { body: (await answer.json()) as T, etag };
  }
}
