// The part of fetch a connector's HTTP client uses, so a unit test can hand the client a scripted
// one: the same for every connector that speaks HTTP itself.
export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal }) => Promise<{
  status: number; text(): Promise<string>; headers: { get(name: string): string | null };
}>;
