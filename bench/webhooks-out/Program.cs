// Outbound webhooks benchmark, against the real app on local PostgreSQL (run it with bench/webhooks-out.sh).
// 1. Throughput: 1,000 lead.created events/s for 10 s in a subscribed tenant, raised through the app's recorder by the
//    bench-only /bench/events (100 per save, every 100 ms: ingest alone reaches ~300 messages/s on two cores); prints
//    events queued per second, deliveries per second and the delay from event to delivery at a local receiver, which
//    checks every signature and counts each event id once.
// 2. Side by side: another tenant's ingest (no subscriptions) at a fixed rate, alone and while phase 1's load runs,
//    twice each, alternating; prints answer latency and when the last message was stored.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Npgsql;
using OperatorConsole.Infrastructure.Channels.Inbound;

var url = new Uri(Arg("--url", "http://127.0.0.1:5191/"));
var ownerDb = Arg("--db", "");
var secret = Arg("--secret", "bench-meta-secret");
var platformKey = Arg("--key", "bench-platform-key");
var receiverPort = int.Parse(Arg("--receiver-port", "5193"));
var eventsRate = int.Parse(Arg("--events-per-second", "1000"));
var seconds = int.Parse(Arg("--seconds", "10"));
var rounds = int.Parse(Arg("--rounds", "2"));
var ingestRate = int.Parse(Arg("--ingest-rate", "300"));
const string HookSecret = "bench-webhook-secret-0123456789";
ThreadPool.SetMinThreads(64, 64);

// The receiver: checks the signature, remembers each event id, answers 200 at once.
var received = new ConcurrentDictionary<string, long>();
long duplicates = 0, badSignatures = 0;
var listener = new HttpListener();
listener.Prefixes.Add($"http://127.0.0.1:{receiverPort}/");
listener.Start();
for (var i = 0; i < 16; i++)
    _ = Task.Run(async () =>
    {
        while (listener.IsListening)
        {
            var ctx = await listener.GetContextAsync();
            using var reader = new StreamReader(ctx.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var signature = ctx.Request.Headers["X-Console-Signature"] ?? "";
            var parts = signature.Split(',').Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
            var expected = parts.TryGetValue("t", out var t)
                ? Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(HookSecret), Encoding.UTF8.GetBytes($"{t}.{body}"))) : "";
            if (!parts.TryGetValue("v1", out var v1) || v1 != expected) Interlocked.Increment(ref badSignatures);
            if (!received.TryAdd(ctx.Request.Headers["X-Console-Event-Id"] ?? "", Stopwatch.GetTimestamp())) Interlocked.Increment(ref duplicates);
            ctx.Response.StatusCode = 200;
            ctx.Response.Close();
        }
    });
// Production asks Graph whether a connected number is the owner's (GET /{version}/{id}): answered on 5192.
var graph = new HttpListener();
graph.Prefixes.Add("http://127.0.0.1:5192/");
graph.Start();
_ = Task.Run(async () =>
{
    while (graph.IsListening)
    {
        var ctx = await graph.GetContextAsync();
        var answer = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { id = ctx.Request.Url!.AbsolutePath.TrimEnd('/').Split('/')[^1] }));
        ctx.Response.ContentType = "application/json";
        await ctx.Response.OutputStream.WriteAsync(answer);
        ctx.Response.Close();
    }
});

var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = url, Timeout = TimeSpan.FromSeconds(30) };
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", platformKey);

async Task<(Guid Id, string PhoneNumberId)> TenantAsync(string label)
{
    var slug = $"bench-{label}-" + Guid.NewGuid().ToString("N")[..6];
    var created = await http.PostAsJsonAsync("api/v1/tenants", new { name = "Bench " + slug, slug, plan = "pro", ownerEmail = $"{slug}@bench.test", ownerPassword = "Bench!Pass1" });
    created.EnsureSuccessStatusCode();
    var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    var phone = Random.Shared.NextInt64(100000000000000, 999999999999999).ToString();
    (await http.PostAsJsonAsync($"api/v1/tenants/{id}/channels", new { kind = "whatsapp", externalId = phone, accessToken = "bench" })).EnsureSuccessStatusCode();
    return (id, phone);
}

var hooked = await TenantAsync("hooked");
var plain = await TenantAsync("plain");
var subscribed = await http.PostAsJsonAsync($"api/v1/tenants/{hooked.Id}/webhooks",
    new { url = $"http://127.0.0.1:{receiverPort}/events", events = new[] { "message.received", "lead.created" }, secret = HookSecret });
subscribed.EnsureSuccessStatusCode();

var sequence = 0;
(byte[] Body, string Signature) Message((Guid Id, string PhoneNumberId) tenant)
{
    // Every message from a new customer: a lead.created and a message.received each.
    var n = Interlocked.Increment(ref sequence);
    var waId = "521" + (5500000000L + n).ToString();
    var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
    {
        @object = "whatsapp_business_account",
        entry = new[] { new { id = "WABA", changes = new[] { new { field = "messages", value = new {
            messaging_product = "whatsapp",
            metadata = new { display_phone_number = "15550000000", phone_number_id = tenant.PhoneNumberId },
            contacts = new[] { new { profile = new { name = "Cliente " + n }, wa_id = waId } },
            messages = new[] { new { from = waId, id = $"wamid.OUT{n}-{Guid.NewGuid():N}", timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(), type = "text", text = new { body = "Hola #" + n } } },
        } } } } },
    }));
    return (body, WebhookSignatures.SignMeta(body, secret));
}

async Task<double> PostAsync((byte[] Body, string Signature) signed)
{
    using var request = new HttpRequestMessage(HttpMethod.Post, "webhooks/whatsapp") { Content = new ByteArrayContent(signed.Body) };
    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
    request.Headers.Add("X-Hub-Signature-256", signed.Signature);
    var sw = Stopwatch.StartNew();
    using var response = await http.SendAsync(request);
    if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"webhook answered {(int)response.StatusCode}");
    return sw.Elapsed.TotalMilliseconds;
}

async Task<double[]> AtRateAsync((Guid Id, string PhoneNumberId) tenant, int perSecond, int duration)
{
    var plan = Enumerable.Range(0, perSecond * duration).Select(_ => Message(tenant)).ToArray();
    var latencies = new double[plan.Length];
    var start = Stopwatch.StartNew();
    var tasks = new List<Task>(plan.Length);
    for (var i = 0; i < plan.Length; i++)
    {
        var wait = TimeSpan.FromSeconds((double)i / perSecond) - start.Elapsed;
        if (wait > TimeSpan.Zero) await Task.Delay(wait);
        var index = i;
        tasks.Add(Task.Run(async () => latencies[index] = await PostAsync(plan[index])));
    }
    await Task.WhenAll(tasks);
    return latencies;
}

async Task<T> QueryAsync<T>(string sql, Func<NpgsqlDataReader, T> read, params (string, object)[] parameters)
{
    await using var conn = new NpgsqlConnection(ownerDb);
    await conn.OpenAsync();
    await using var cmd = new NpgsqlCommand("SET app.platform = 'on'; " + sql, conn);
    foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value);
    await using var reader = await cmd.ExecuteReaderAsync();
    await reader.ReadAsync();
    return read(reader);
}

Task<long> StoredAsync(Guid tenantId) =>
    QueryAsync("SELECT count(*) FROM messages WHERE tenant_id = @t AND direction = 'Inbound'", r => r.GetInt64(0), ("t", tenantId));

async Task<TimeSpan> WaitStoredAsync(Guid tenantId, long expected, Stopwatch since)
{
    while (await StoredAsync(tenantId) < expected) await Task.Delay(50);
    return since.Elapsed;
}

async Task<TimeSpan> WaitDeliveredAsync(long expected, Stopwatch since, TimeSpan limit)
{
    while (received.Count < expected && since.Elapsed < limit) await Task.Delay(50);
    return since.Elapsed;
}

static double Pct(IEnumerable<double> values, double p)
{
    var sorted = values.Order().ToArray();
    return sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
}

async Task PostEventsAsync(Guid tenantId, int count)
{
    var payload = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { tenantId, count }));
    using var request = new HttpRequestMessage(HttpMethod.Post, "bench/events") { Content = new ByteArrayContent(payload) };
    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
    request.Headers.Add("X-Hub-Signature-256", WebhookSignatures.SignMeta(payload, secret));
    using var response = await http.SendAsync(request);
    response.EnsureSuccessStatusCode();
}

// Events at a fixed rate: one save of rate/10 events every 100 ms.
async Task EventsAtRateAsync(Guid tenantId, int perSecond, int duration)
{
    var start = Stopwatch.StartNew();
    var tasks = new List<Task>();
    for (var i = 0; i < duration * 10; i++)
    {
        var wait = TimeSpan.FromMilliseconds(100 * i) - start.Elapsed;
        if (wait > TimeSpan.Zero) await Task.Delay(wait);
        tasks.Add(PostEventsAsync(tenantId, perSecond / 10));
    }
    await Task.WhenAll(tasks);
}

Console.WriteLine($"Outbound webhooks benchmark — {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores");
// Warm-up: JIT and pools on every path.
await AtRateAsync(plain, 100, 2);
await EventsAtRateAsync(hooked.Id, 200, 2);
await WaitDeliveredAsync(400, Stopwatch.StartNew(), TimeSpan.FromSeconds(30));
received.Clear();

// 1. Throughput.
var phase = Stopwatch.StartNew();
var phaseStart = DateTimeOffset.UtcNow;
await EventsAtRateAsync(hooked.Id, eventsRate, seconds);
var expectedEvents = (long)eventsRate * seconds;
var delivered = await WaitDeliveredAsync(expectedEvents, phase, TimeSpan.FromSeconds(seconds * 6));
var timing = await QueryAsync("""
    SELECT count(*), extract(epoch FROM max(e.created_at) - min(e.created_at))::float8,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM d.last_attempt_at - e.created_at)),
           percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM d.last_attempt_at - e.created_at)),
           count(*) FILTER (WHERE d.status = 'Delivered')
    FROM outbound_webhook_events e JOIN outbound_webhook_deliveries d ON d.event_id = e.id
    WHERE e.tenant_id = @t AND e.created_at >= @since
    """, r => (Count: r.GetInt64(0), Span: r.GetDouble(1), P50: r.GetDouble(2), P95: r.GetDouble(3), Delivered: r.GetInt64(4)),
    ("t", hooked.Id), ("since", phaseStart));
Console.WriteLine($"throughput: {eventsRate} events/s offered for {seconds} s = {expectedEvents} events");
Console.WriteLine($"  events queued: {timing.Count} over {timing.Span:F1} s → {timing.Count / Math.Max(timing.Span, 0.001):F0} events/s");
Console.WriteLine($"  delivered: {received.Count} distinct, the last {delivered.TotalSeconds:F1} s after the first was raised → {received.Count / delivered.TotalSeconds:F0} deliveries/s; {timing.Delivered} marked delivered");
Console.WriteLine($"  event → delivered: p50 {timing.P50 * 1000:F0} ms, p95 {timing.P95 * 1000:F0} ms; duplicates {duplicates}, bad signatures {badSignatures}");

// 2. Side by side.
async Task<(double P50, double P99, double Processed)> IngestPhaseAsync()
{
    var stored = await StoredAsync(plain.Id);
    var clock = Stopwatch.StartNew();
    var answers = await AtRateAsync(plain, ingestRate, seconds);
    var done = await WaitStoredAsync(plain.Id, stored + (long)ingestRate * seconds, clock);
    return (Pct(answers, 50), Pct(answers, 99), done.TotalSeconds);
}
Console.WriteLine($"ingest of another tenant at {ingestRate} msg/s for {seconds} s (answer p50 / p99; when the last message was stored):");
var results = new List<(string Label, (double P50, double P99, double Processed) R)>();
for (var round = 1; round <= rounds; round++)
{
    await Task.Delay(2000);
    var alone = await IngestPhaseAsync();
    results.Add(("alone", alone));
    Console.WriteLine($"  round {round} alone:                   p50 {alone.P50,6:F1} ms   p99 {alone.P99,6:F1} ms   stored after {alone.Processed:F2} s");
    await Task.Delay(2000);
    received.Clear();
    var eventsSince = DateTimeOffset.UtcNow;
    var load = EventsAtRateAsync(hooked.Id, eventsRate, seconds + 2);
    var loaded = await IngestPhaseAsync();
    await load;
    results.Add(("loaded", loaded));
    Console.WriteLine($"  round {round} with {eventsRate} events/s out:  p50 {loaded.P50,6:F1} ms   p99 {loaded.P99,6:F1} ms   stored after {loaded.Processed:F2} s   ({received.Count} delivered meanwhile)");
}
var a = results.Where(r => r.Label == "alone").Select(r => r.R).ToList();
var l = results.Where(r => r.Label == "loaded").Select(r => r.R).ToList();
Console.WriteLine($"  mean slower by: p50 {l.Average(r => r.P50) / a.Average(r => r.P50) - 1:P0}, p99 {l.Average(r => r.P99) / a.Average(r => r.P99) - 1:P0}, " +
    $"stored after {l.Average(r => r.Processed) / a.Average(r => r.Processed) - 1:P1}");
Console.WriteLine($"duplicates {duplicates}, bad signatures {badSignatures}");
return badSignatures == 0 && duplicates == 0 ? 0 : 1;

string Arg(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}
