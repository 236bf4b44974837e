using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace OperatorConsole.Tests.Fakes;

/// <summary>One request the fake Stripe API received: the form body as Stripe.net encoded it (metadata[payment_id]=…).</summary>
public sealed record StripeRequest(string Method, string Path, string? ApiKey, IReadOnlyDictionary<string, string> Form);

/// <summary>
/// A local stand-in for the parts of Stripe's API a tenant's account is used for, over real HTTP (point
/// <c>Stripe:ApiBase</c> at <see cref="BaseUrl"/>): <c>GET /v1/account</c> (only keys given to <see cref="AcceptKey"/>
/// work; others get Stripe's 401 error shape) and <c>POST /v1/checkout/sessions</c> (answers a Session). Also builds
/// signed events the way Stripe sends them.
/// </summary>
public sealed class FakeStripeApi : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<StripeRequest> _requests = new();
    private readonly ConcurrentDictionary<string, string> _accounts = new();

    private FakeStripeApi(WebApplication app) => _app = app;

    public string BaseUrl { get; private set; } = "";

    public IReadOnlyList<StripeRequest> Requests => _requests.ToArray();

    public static async Task<FakeStripeApi> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var fake = new FakeStripeApi(app);
        app.MapGet("/v1/account", (Func<HttpContext, Task<IResult>>)fake.AccountAsync);
        app.MapPost("/v1/checkout/sessions", (Func<HttpContext, Task<IResult>>)fake.CreateSessionAsync);
        await app.StartAsync();
        fake.BaseUrl = app.Urls.First();
        return fake;
    }

    /// <summary>This secret key belongs to an account named <paramref name="accountName"/>.</summary>
    public void AcceptKey(string secretKey, string accountName) => _accounts[secretKey] = accountName;

    private static string? KeyOf(HttpContext http)
    {
        var auth = http.Request.Headers.Authorization.ToString();
        return auth.StartsWith("Bearer ", StringComparison.Ordinal) ? auth["Bearer ".Length..] : null;
    }

    private static IResult InvalidKey(string? key) => Results.Json(new
    {
        error = new
        {
            message = $"Invalid API Key provided: {(key is { Length: > 8 } ? key[..8] + "****" : "****")}",
            type = "invalid_request_error",
        },
    }, statusCode: 401);

    private async Task<IResult> AccountAsync(HttpContext http)
    {
        var key = KeyOf(http);
        _requests.Enqueue(new StripeRequest("GET", http.Request.Path, key, await FormAsync(http)));
        if (key is null || !_accounts.TryGetValue(key, out var name)) return InvalidKey(key);
        return Results.Json(new
        {
            id = "acct_" + Math.Abs(key.GetHashCode()).ToString(),
            @object = "account",
            business_profile = new { name },
            email = "owner@example.test",
            charges_enabled = true,
        });
    }

    private async Task<IResult> CreateSessionAsync(HttpContext http)
    {
        var key = KeyOf(http);
        var form = await FormAsync(http);
        _requests.Enqueue(new StripeRequest("POST", http.Request.Path, key, form));
        if (key is null || !_accounts.ContainsKey(key)) return InvalidKey(key);
        var id = "cs_test_" + Guid.NewGuid().ToString("N");
        var metadata = form.Where(f => f.Key.StartsWith("metadata[", StringComparison.Ordinal))
            .ToDictionary(f => f.Key["metadata[".Length..^1], f => f.Value);
        var unit = long.Parse(form.GetValueOrDefault("line_items[0][price_data][unit_amount]", "0"));
        var quantity = long.Parse(form.GetValueOrDefault("line_items[0][quantity]", "1"));
        return Results.Json(new Dictionary<string, object?>
        {
            ["id"] = id,
            ["object"] = "checkout.session",
            ["mode"] = form.GetValueOrDefault("mode"),
            ["status"] = "open",
            ["payment_status"] = "unpaid",
            ["amount_total"] = unit * quantity,
            ["currency"] = form.GetValueOrDefault("line_items[0][price_data][currency]"),
            ["metadata"] = metadata,
            ["success_url"] = form.GetValueOrDefault("success_url"),
            ["url"] = $"https://checkout.stripe.test/c/pay/{id}",
        });
    }

    private static async Task<IReadOnlyDictionary<string, string>> FormAsync(HttpContext http)
    {
        if (!http.Request.HasFormContentType) return new Dictionary<string, string>();
        var form = await http.Request.ReadFormAsync();
        return form.ToDictionary(f => f.Key, f => f.Value.ToString());
    }

    /// <summary>
    /// An event as Stripe sends it to a webhook endpoint (the SDK's API version), and its Stripe-Signature header made with
    /// <paramref name="webhookSecret"/> (Stripe.net's GenerateSignatureHeader: t=…,v1=HMAC-SHA256("{t}.{body}")).
    /// </summary>
    public static (string Json, string Signature) SignedEvent(string type, JsonObject dataObject, string webhookSecret, string? eventId = null,
        DateTimeOffset? created = null)
    {
        var json = new JsonObject
        {
            ["id"] = eventId ?? "evt_" + Guid.NewGuid().ToString("N"),
            ["object"] = "event",
            ["api_version"] = Stripe.StripeConfiguration.ApiVersion,
            ["created"] = (created ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds(),
            ["livemode"] = false,
            ["pending_webhooks"] = 1,
            ["type"] = type,
            ["data"] = new JsonObject { ["object"] = dataObject },
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
        return (json, Stripe.EventUtility.GenerateSignatureHeader(json, webhookSecret, DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
    }

    /// <summary>A Checkout Session object as events carry it.</summary>
    public static JsonObject Session(Guid paymentId, long amountTotal, string currency, string paymentStatus = "paid", string status = "complete") => new()
    {
        ["id"] = "cs_test_" + Guid.NewGuid().ToString("N"),
        ["object"] = "checkout.session",
        ["mode"] = "payment",
        ["status"] = status,
        ["payment_status"] = paymentStatus,
        ["amount_total"] = amountTotal,
        ["currency"] = currency,
        ["metadata"] = new JsonObject { ["payment_id"] = paymentId.ToString() },
    };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
