// Live-latency benchmark: a customer's WhatsApp message POSTed to the webhook → the change on an agent's screen.
// Signs in as the demo agent in a real Chromium, opens the conversation page, then posts signed webhooks one at a
// time and measures, per message, from just before the POST to
//   hub:  the conversationChanged event on a SignalR connection of the same signed-in agent (the .NET client, in
//         this process: the browser has no standalone SignalR client offline), and
//   page: the message text appearing in the open page (a MutationObserver records performance.now(); the start is
//         read from the same page clock just before the POST) — only if the page renders new messages live.
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Playwright;
using Npgsql;
using OperatorConsole.Infrastructure.Channels.Inbound;

var baseUrl = new Uri(Arg("--url", "http://127.0.0.1:5198/"));
var ownerDb = Arg("--db", "Host=127.0.0.1;Port=55535;Database=console;Username=console_owner;Password=console_owner");
var secret = Arg("--secret", "bench-meta-secret");
var messages = int.Parse(Arg("--messages", "200"));
var warmup = int.Parse(Arg("--warmup", "10"));
var phoneNumberId = Arg("--phone-number-id", "100000000000001");
var email = Arg("--email", "agent@demo.local");
var password = Arg("--password", "Demo!2345");
var chromium = Arg("--chromium", Environment.GetEnvironmentVariable("CONSOLE_CHROMIUM") ?? "/usr/bin/chromium");
var run = Guid.NewGuid().ToString("N")[..6];
var waId = "5215" + Random.Shared.NextInt64(100000000, 999999999);

using var http = new HttpClient { BaseAddress = baseUrl };
async Task PostAsync(string text)
{
    var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
    {
        @object = "whatsapp_business_account",
        entry = new[] { new { id = "WABA", changes = new[] { new { field = "messages", value = new {
            messaging_product = "whatsapp",
            metadata = new { display_phone_number = "15550000000", phone_number_id = phoneNumberId },
            contacts = new[] { new { profile = new { name = "Bench " + run }, wa_id = waId } },
            messages = new[] { new { from = waId, id = $"wamid.LIVE{run}{Guid.NewGuid():N}", timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(), type = "text", text = new { body = text } } },
        } } } } },
    }));
    using var request = new HttpRequestMessage(HttpMethod.Post, "webhooks/whatsapp") { Content = new ByteArrayContent(body) };
    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
    request.Headers.Add("X-Hub-Signature-256", WebhookSignatures.SignMeta(body, secret));
    using var response = await http.SendAsync(request);
    if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"webhook answered {(int)response.StatusCode}");
}

// A new customer for this run: the first message creates the contact and the conversation the agent then opens.
await PostAsync($"Hola, soy el cliente de prueba {run}");
var conversationId = await WaitForConversationAsync();

using var playwright = await Playwright.CreateAsync();
await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
{
    ExecutablePath = chromium,
    Headless = true,
    Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseUrl.ToString(), Locale = "es-MX" });
var page = await context.NewPageAsync();
await page.GotoAsync("/Account/Login");
await page.Locator("input[name='Input.Email']").FillAsync(email);
await page.Locator("input[name='Input.Password']").FillAsync(password);
await page.Locator("form.account-form button[type='submit']").First.ClickAsync();
await page.WaitForURLAsync("**/inbox");
await page.GotoAsync($"/inbox/{conversationId}");
await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
await page.EvaluateAsync("""
    () => {
      window.__want = null; window.__seen = {};
      new MutationObserver(() => {
        const t = window.__want;
        if (t && window.__seen[t] === undefined && document.body.textContent.includes(t)) window.__seen[t] = performance.now();
      }).observe(document.body, { childList: true, subtree: true, characterData: true });
    }
    """);

// The same signed-in agent on the hub: its cookie, the conversation's group.
var cookies = new CookieContainer();
foreach (var c in await context.CookiesAsync()) cookies.Add(new System.Net.Cookie(c.Name, c.Value, c.Path, c.Domain));
var hubEvent = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
await using var hub = new HubConnectionBuilder().WithUrl(new Uri(baseUrl, "hubs/console"), o => o.Cookies = cookies).Build();
hub.On<JsonElement>("conversationChanged", change =>
{
    // Only the customer's message counts (not a bot reply or a delivery status arriving meanwhile).
    if (change.GetProperty("reason").GetString() == "MessageReceived") hubEvent.TrySetResult(Stopwatch.GetTimestamp());
});
await hub.StartAsync();
await hub.InvokeAsync("JoinConversation", conversationId);

var hubMs = new List<double>();
var pageMs = new List<double>();
bool? pageLive = null;
var lost = 0;
for (var i = -warmup; i < messages; i++)
{
    var token = $"bench-{run}-{i + warmup:D4}";
    hubEvent = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
    var pageStart = await page.EvaluateAsync<double>("t => { window.__want = t; return performance.now(); }", token);
    var start = Stopwatch.GetTimestamp();
    await PostAsync($"Mensaje {token}");
    var arrived = await Task.WhenAny(hubEvent.Task, Task.Delay(TimeSpan.FromSeconds(10))) == hubEvent.Task;
    if (!arrived)
    {
        lost++;
        continue;
    }
    var hubLatency = Stopwatch.GetElapsedTime(start, hubEvent.Task.Result).TotalMilliseconds;
    double? pageLatency = null;
    if (pageLive != false)
    {
        try
        {
            await page.WaitForFunctionAsync("t => window.__seen[t] !== undefined", token,
                new() { Timeout = pageLive == true ? 10_000 : 5_000, PollingInterval = 5 });
            pageLatency = await page.EvaluateAsync<double>("t => window.__seen[t]", token) - pageStart;
            pageLive = true;
        }
        catch (TimeoutException)
        {
            // The page in use does not show new messages without a reload: measure the hub only from here on.
            pageLive ??= false;
        }
    }
    if (i < 0) continue;
    hubMs.Add(hubLatency);
    if (pageLatency is { } p) pageMs.Add(p);
}

Console.WriteLine($"Live latency — {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {messages} messages one at a time (+{warmup} warm-up), conversation {conversationId}");
Print("webhook POST → conversationChanged on the agent's hub connection", hubMs);
if (pageLive == true) Print("webhook POST → message text rendered in the open page", pageMs);
else Console.WriteLine("page: /inbox/{id} does not render new messages live yet; only the hub event was measured");
Console.WriteLine($"lost (no event within 10 s): {lost}");
return lost == 0 ? 0 : 1;

void Print(string what, List<double> ms)
{
    if (ms.Count == 0) { Console.WriteLine($"{what}: no samples"); return; }
    ms.Sort();
    double Pct(double p) => ms[Math.Clamp((int)Math.Ceiling(p / 100 * ms.Count) - 1, 0, ms.Count - 1)];
    Console.WriteLine($"{what}: n={ms.Count}  p50 {Pct(50):F1} ms  p95 {Pct(95):F1} ms  max {ms[^1]:F1} ms");
}

async Task<Guid> WaitForConversationAsync()
{
    var deadline = DateTime.UtcNow.AddSeconds(30);
    while (true)
    {
        await using var conn = new NpgsqlConnection(ownerDb);
        await conn.OpenAsync();
        // The owner role is subject to the forced row-level security too: read as the platform.
        await using var cmd = new NpgsqlCommand("""
            SET app.platform = 'on';
            SELECT c.id FROM conversations c
            JOIN contact_identities i ON i.contact_id = c.contact_id AND i.channel_id = c.channel_id
            WHERE i.value = @wa ORDER BY c.created_at DESC LIMIT 1
            """, conn);
        cmd.Parameters.AddWithValue("wa", waId);
        if (await cmd.ExecuteScalarAsync() is Guid id) return id;
        if (DateTime.UtcNow > deadline) throw new TimeoutException("the bench customer's conversation was not created");
        await Task.Delay(100);
    }
}

string Arg(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}
