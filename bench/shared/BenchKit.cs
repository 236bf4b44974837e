// Shared by the benchmarks that drive the real app as its own process (agent, soak, circuits): the instant fake model
// (an OpenAI-compatible chat endpoint that also answers Graph's channel-ownership check), signed WhatsApp deliveries,
// the tenant and channel a run creates through the platform API, and reading the app's process and /metrics.
// Included as source (<Compile Include="../shared/BenchKit.cs" />), so each bench stays one small console program.
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OperatorConsole.Infrastructure.Channels.Inbound;

namespace OperatorConsole.Bench;

/// <summary>The instant model: every reply call answers at once (or after <c>modelMs</c>); structured calls get an empty analysis.</summary>
public sealed class FakeModel : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _replyCalls;

    public int ReplyCalls => Volatile.Read(ref _replyCalls);

    private FakeModel(int port, int modelMs)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        _app = builder.Build();
        // The Graph API's answer to the channel ownership check (GET /{version}/{phone number id}?fields=id): Production asks it.
        _app.MapGet("/{version}/{id}", (string id) => Results.Json(new { id }));
        _app.MapPost("/v1/chat/completions", async (HttpContext http) =>
        {
            var body = (await JsonNode.ParseAsync(http.Request.Body))!;
            if (modelMs > 0) await Task.Delay(modelMs);
            var structured = body["response_format"] is not null;
            if (!structured) Interlocked.Increment(ref _replyCalls);
            var content = structured
                ? """{"interested":true,"urgent":false,"budgetMentioned":false,"decisionMaker":false,"comparing":false,"notInterested":false,"spam":false,"frustrated":false,"paymentIssue":false}"""
                : "¡Hola! Con gusto te ayudo.";
            return Results.Json(new
            {
                id = "chatcmpl-bench", @object = "chat.completion", created = DateTimeOffset.UtcNow.ToUnixTimeSeconds(), model = (string?)body["model"],
                choices = new[] { new { index = 0, message = new { role = "assistant", content }, finish_reason = "stop" } },
                usage = new { prompt_tokens = 100, completion_tokens = 10, total_tokens = 110 },
            });
        });
    }

    public static async Task<FakeModel> StartAsync(int port, int modelMs = 0)
    {
        var model = new FakeModel(port, modelMs);
        await model._app.StartAsync();
        return model;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>A customer's text message as Meta delivers it to the WhatsApp webhook, signed with the app secret.</summary>
public static class WhatsApp
{
    public static byte[] TextBody(string phoneNumberId, string waId, string wamid, string text, string name = "Cliente") =>
        Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
        {
            @object = "whatsapp_business_account",
            entry = new[] { new { id = "WABA", changes = new[] { new { field = "messages", value = new
            {
                messaging_product = "whatsapp",
                metadata = new { display_phone_number = "15550000000", phone_number_id = phoneNumberId },
                contacts = new[] { new { profile = new { name }, wa_id = waId } },
                messages = new[] { new { from = waId, id = wamid, timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), type = "text", text = new { body = text } } },
            } } } } },
        }));

    public static HttpRequestMessage SignedPost(byte[] body, string secret)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "webhooks/whatsapp") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-Hub-Signature-256", WebhookSignatures.SignMeta(body, secret));
        return request;
    }
}

/// <summary>A workspace of the run's own, with a WhatsApp number, made through the platform API (as an operator would).</summary>
public sealed record BenchTenant(Guid Id, string Slug, string PhoneNumberId, string OwnerEmail, string OwnerPassword)
{
    public const string Password = "Bench!Pass1";

    public static async Task<BenchTenant> CreateAsync(HttpClient platform, string slug, string plan, int? agentBufferSeconds)
    {
        var email = $"{slug}@bench.test";
        var created = await platform.PostAsJsonAsync("api/v1/tenants", new { name = "Bench " + slug, slug, plan, ownerEmail = email, ownerPassword = Password });
        if (!created.IsSuccessStatusCode) throw new InvalidOperationException($"creating {slug}: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var phoneNumberId = Random.Shared.NextInt64(100000000000000, 999999999999999).ToString(CultureInfo.InvariantCulture);
        (await platform.PostAsJsonAsync($"api/v1/tenants/{id}/channels", new { kind = "whatsapp", externalId = phoneNumberId, accessToken = "bench" })).EnsureSuccessStatusCode();
        if (agentBufferSeconds is { } buffer)
            (await platform.PutAsJsonAsync($"api/v1/tenants/{id}/agent", new { bufferSeconds = buffer, escalationKeywords = Array.Empty<string>() })).EnsureSuccessStatusCode();
        return new BenchTenant(id, slug, phoneNumberId, email, Password);
    }
}

/// <summary>The app process seen from outside: its resident memory from /proc, and the runtime's figures from /metrics.</summary>
public sealed class AppProbe(int pid, HttpClient http, string scrapeToken)
{
    public long RssBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        return 0;
    }

    /// <summary>CPU seconds (user + system) the process has used so far.</summary>
    public double CpuSeconds()
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    private readonly Dictionary<string, double> _waitByThread = [];
    private double _waitNs;

    /// <summary>
    /// Seconds the process's threads spent runnable but waiting for a CPU, summed over its threads (/proc/…/task/*/schedstat).
    /// On a shared machine this says whether the app was slow or was not given the CPU. Counted per thread from one call
    /// to the next, so a thread pool thread that ends takes only its last interval with it: summing the live threads'
    /// totals instead went down when long-lived threads ended (a negative minute in a soak).
    /// </summary>
    public double RunQueueWaitSeconds()
    {
        lock (_waitByThread)
        {
            var live = new HashSet<string>();
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                double ns;
                try { ns = double.Parse(File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ')[1], CultureInfo.InvariantCulture); }
                catch (IOException) { continue; } // a thread that ended meanwhile
                live.Add(task);
                // Less than last time: the id was reused by a new thread.
                var last = _waitByThread.GetValueOrDefault(task);
                _waitNs += ns >= last ? ns - last : ns;
                _waitByThread[task] = ns;
            }
            foreach (var ended in _waitByThread.Keys.Where(k => !live.Contains(k)).ToList()) _waitByThread.Remove(ended);
            return _waitNs / 1e9;
        }
    }

    /// <summary>Sums of the named Prometheus series (all label sets), e.g. dotnet_gc_last_collection_heap_size_bytes.</summary>
    public async Task<Dictionary<string, double>> MetricsAsync(params string[] names)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "metrics");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", scrapeToken);
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var sums = names.ToDictionary(n => n, _ => 0.0);
        foreach (var line in (await response.Content.ReadAsStringAsync()).Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            var nameEnd = line.IndexOfAny(['{', ' ']);
            if (nameEnd < 0 || !sums.ContainsKey(line[..nameEnd])) continue;
            var value = line[(line.LastIndexOf('}') is var b and >= 0 ? b + 1 : nameEnd)..].Trim().Split(' ')[0];
            if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)) sums[line[..nameEnd]] += v;
        }
        return sums;
    }
}

/// <summary>CPU seconds of a process and all its children, living or reaped (PostgreSQL: the postmaster and its backends).</summary>
public static class ProcessCpu
{
    public static double TreeSeconds(int root)
    {
        double ticks = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var p)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var ppid = int.Parse(f[1], CultureInfo.InvariantCulture);
                double T(int i) => double.Parse(f[i], CultureInfo.InvariantCulture);
                // utime, stime; for the root also cutime, cstime: the backends that ended and were waited for.
                if (p == root) ticks += T(11) + T(12) + T(13) + T(14);
                else if (ppid == root) ticks += T(11) + T(12);
            }
            catch (IOException) { }
        }
        return ticks / 100.0;
    }
}

public static class Stats
{
    public static double Pct(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];

    /// <summary>Least-squares slope of y over x (per unit of x).</summary>
    public static double Slope(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count < 2) return 0;
        double mx = x.Average(), my = y.Average(), num = 0, den = 0;
        for (var i = 0; i < x.Count; i++) { num += (x[i] - mx) * (y[i] - my); den += (x[i] - mx) * (x[i] - mx); }
        return den == 0 ? 0 : num / den;
    }
}

public static class BenchArgs
{
    public static string Get(string[] args, string name, string fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}
