// Agent benchmark: turn overhead (everything but model time) with an instant fake LLM, and 200 conversations
// bursting at once, each answered exactly once. Run it with bench/agent.sh (starts PostgreSQL and the app, then this).
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Npgsql;
using OperatorConsole.Bench;
using OperatorConsole.Infrastructure.Channels.Inbound;

var url = new Uri(Arg("--url", "http://127.0.0.1:5196/"));
var ownerDb = Arg("--db", "");
var log = Arg("--log", "/tmp/console-agent-bench-app.log");
var llmPort = int.Parse(Arg("--llm-port", "5197"));
var warmup = int.Parse(Arg("--warmup", "20"));
var sequential = int.Parse(Arg("--sequential", "100"));
var conversations = int.Parse(Arg("--conversations", "200"));
var burst = int.Parse(Arg("--burst", "3"));
// --model-ms: how long the fake model takes per call (0 = instant). A real model answers in seconds, and that is what
// decides how long a burst of customers waits for its answers.
var modelMs = int.Parse(Arg("--model-ms", "0"));
const string Secret = "bench-meta-secret";

// The instant model (bench/shared/BenchKit.cs), which also answers Graph's channel ownership check.
await using var fake = await FakeModel.StartAsync(llmPort, modelMs);

var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(30) };
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "bench-platform-key");
var slug = "agent-bench-" + Guid.NewGuid().ToString("N")[..6];
var created = await http.PostAsJsonAsync("api/v1/tenants", new { name = "Agent bench", slug, plan = "pro", ownerEmail = $"{slug}@bench.test", ownerPassword = "Bench!Pass1" });
created.EnsureSuccessStatusCode();
var tenantId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
var phoneNumberId = Random.Shared.NextInt64(100000000000000, 999999999999999).ToString();
(await http.PostAsJsonAsync($"api/v1/tenants/{tenantId}/channels", new { kind = "whatsapp", externalId = phoneNumberId, accessToken = "bench" })).EnsureSuccessStatusCode();
(await http.PutAsJsonAsync($"api/v1/tenants/{tenantId}/agent", new { bufferSeconds = 1, escalationKeywords = Array.Empty<string>() })).EnsureSuccessStatusCode();

var logStart = new FileInfo(log).Length;

// Phase 0: the first turns after a start pay the JIT and EF Core's query compilation (hundreds of ms for the very first);
// they are reported on their own so the measured turns show the steady state a running node has.
Console.WriteLine($"Warm-up: {warmup} turns one after another…");
for (var i = 0; i < warmup; i++)
{
    var waId = "52144" + (10000000 + i);
    await PostAsync(waId, $"Hola, calentando {i}");
    await WaitForRepliesAsync([waId], TimeSpan.FromSeconds(30));
}
var warmupOverhead = ReadOverheads(log, logStart);
logStart = new FileInfo(log).Length;

// Phase 1: one conversation at a time, so each turn's overhead is measured without queueing behind others.
Console.WriteLine($"Phase 1: {sequential} turns one after another (buffer 1 s, instant model)…");
for (var i = 0; i < sequential; i++)
{
    var waId = "52155" + (10000000 + i);
    await PostAsync(waId, $"Hola, pregunta {i}");
    await WaitForRepliesAsync([waId], TimeSpan.FromSeconds(30));
}
var sequentialOverhead = ReadOverheads(log, logStart);
logStart = new FileInfo(log).Length;

// Phase 2: every conversation bursts at the same moment.
Console.WriteLine($"Phase 2: {conversations} conversations × {burst} messages at once (model {modelMs} ms per call)…");
var customers = Enumerable.Range(0, conversations).Select(i => "52166" + (10000000 + i)).ToList();
var callsBefore = fake.ReplyCalls;
var clock = Stopwatch.StartNew();
await Parallel.ForEachAsync(customers, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (waId, _) =>
{
    for (var k = 0; k < burst; k++) await PostAsync(waId, $"mensaje {k + 1} de la ráfaga");
});
var posted = clock.Elapsed;
await WaitForRepliesAsync(customers, TimeSpan.FromMinutes(3));
var allAnswered = clock.Elapsed;
await Task.Delay(TimeSpan.FromSeconds(3)); // any second reply would show up here (nothing else is due)
var perConversation = await RepliesPerCustomerAsync(customers);
var burstOverhead = ReadOverheads(log, logStart);

Console.WriteLine();
Console.WriteLine("Turn overhead = claim → prepare → model → commit, minus the model's own time (from the app's per-turn log line).");
if (warmupOverhead.Count > 0)
    Console.WriteLine($"warm-up: {warmupOverhead.Count} turns after the start, first {warmupOverhead[0]:0.0} ms, then " +
                      string.Join(", ", warmupOverhead.Skip(1).Take(9).Select(v => v.ToString("0.0"))) + (warmupOverhead.Count > 10 ? ", …" : "") + " ms");
Print("sequential turns (after the warm-up)", sequentialOverhead);
Print($"{conversations} bursting at once", burstOverhead);
Console.WriteLine($"burst: {conversations * burst} webhooks posted in {posted.TotalSeconds:0.0} s; all {conversations} answered {allAnswered.TotalSeconds:0.0} s after the first post (buffer 1 s)");
Console.WriteLine($"burst: LLM reply calls {fake.ReplyCalls - callsBefore} for {conversations} conversations; replies per conversation: " +
                  string.Join(", ", perConversation.GroupBy(c => c).OrderBy(g => g.Key).Select(g => $"{g.Key} reply ×{g.Count()}")));
var exactlyOnce = perConversation.All(c => c == 1) && perConversation.Count == conversations && fake.ReplyCalls - callsBefore == conversations;
Console.WriteLine(exactlyOnce ? "exactly once: yes" : "exactly once: NO");
return exactlyOnce ? 0 : 1;

async Task PostAsync(string waId, string text)
{
    var wamid = "wamid." + Guid.NewGuid().ToString("N");
    var body = JsonSerializer.Serialize(new
    {
        @object = "whatsapp_business_account",
        entry = new[] { new { id = "WABA", changes = new[] { new { field = "messages", value = new
        {
            messaging_product = "whatsapp",
            metadata = new { display_phone_number = "15550000000", phone_number_id = phoneNumberId },
            contacts = new[] { new { profile = new { name = "Cliente" }, wa_id = waId } },
            messages = new[] { new { from = waId, id = wamid, timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(), type = "text", text = new { body = text } } },
        } } } } },
    });
    var bytes = Encoding.UTF8.GetBytes(body);
    using var request = new HttpRequestMessage(HttpMethod.Post, "webhooks/whatsapp") { Content = new ByteArrayContent(bytes) };
    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
    request.Headers.Add("X-Hub-Signature-256", WebhookSignatures.SignMeta(bytes, Secret));
    (await http.SendAsync(request)).EnsureSuccessStatusCode();
}

async Task<List<long>> RepliesPerCustomerAsync(IReadOnlyList<string> waIds)
{
    await using var conn = new NpgsqlConnection(ownerDb);
    await conn.OpenAsync();
    // Row-level security applies to the owner role too: read as the platform.
    await using (var platform = new NpgsqlCommand("SET app.platform = 'on'", conn)) await platform.ExecuteNonQueryAsync();
    await using var cmd = new NpgsqlCommand("""
        SELECT i.value, count(m.id) FROM contact_identities i
        JOIN conversations c ON c.contact_id = i.contact_id
        LEFT JOIN messages m ON m.conversation_id = c.id AND m.sender = 'Bot'
        WHERE i.tenant_id = @t AND i.value = ANY(@ids) GROUP BY i.value
        """, conn);
    cmd.Parameters.AddWithValue("t", tenantId);
    cmd.Parameters.AddWithValue("ids", waIds.ToArray());
    var counts = new List<long>();
    await using var reader = await cmd.ExecuteReaderAsync();
    while (await reader.ReadAsync()) counts.Add(reader.GetInt64(1));
    return counts;
}

async Task WaitForRepliesAsync(IReadOnlyList<string> waIds, TimeSpan timeout)
{
    var deadline = Stopwatch.StartNew();
    while (true)
    {
        var counts = await RepliesPerCustomerAsync(waIds);
        if (counts.Count == waIds.Count && counts.All(c => c >= 1)) return;
        if (deadline.Elapsed > timeout) throw new TimeoutException($"only {counts.Count(c => c >= 1)} of {waIds.Count} answered");
        await Task.Delay(20);
    }
}

static List<double> ReadOverheads(string path, long from)
{
    using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
    stream.Seek(from, SeekOrigin.Begin);
    using var reader = new StreamReader(stream);
    var values = new List<double>();
    var pattern = new Regex(@"answered in [\d.]+ ms, model [\d.]+ ms, overhead ([\d.]+) ms");
    while (reader.ReadLine() is { } line)
    {
        var m = pattern.Match(line);
        if (m.Success) values.Add(double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
    }
    return values;
}

static void Print(string what, List<double> values)
{
    if (values.Count == 0) { Console.WriteLine($"{what}: no turns logged"); return; }
    values.Sort();
    double P(double q) => values[Math.Clamp((int)Math.Ceiling(q * values.Count) - 1, 0, values.Count - 1)];
    Console.WriteLine($"{what}: {values.Count} turns, overhead p50 {P(0.50):0.0} ms, p95 {P(0.95):0.0} ms, max {values[^1]:0.0} ms");
}

string Arg(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}
