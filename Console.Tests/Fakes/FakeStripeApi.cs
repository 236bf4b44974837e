using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace OperatorConsole.Tests.Fakes;

/// <summary>One request the fake Stripe API received: the form body as Stripe.net encoded it (metadata[payment_id]=…).</summary>
public sealed record StripeRequest(string Method, string Path, string? ApiKey, IReadOnlyDictionary<string, string> Form, string? IdempotencyKey = null);

/// <summary>A subscription the fake holds, as Stripe would describe it when asked (<c>GET /v1/subscriptions/{id}</c>).</summary>
public sealed class FakeSubscription
{
    public required string Id { get; init; }
    public required string Customer { get; init; }
    public required string ItemId { get; init; }
    public string Status { get; set; } = "active";
    public string PriceId { get; set; } = "";
    public bool CancelAtPeriodEnd { get; set; }
    public DateTimeOffset CurrentPeriodEnd { get; set; }
    public DateTimeOffset? TrialEnd { get; set; }
    public Dictionary<string, string> Metadata { get; init; } = [];
    public DateTimeOffset Created { get; init; }

    public JsonObject ToJson() => new()
    {
        ["id"] = Id,
        ["object"] = "subscription",
        ["customer"] = Customer,
        ["status"] = Status,
        ["cancel_at_period_end"] = CancelAtPeriodEnd,
        ["created"] = Created.ToUnixTimeSeconds(),
        ["trial_end"] = TrialEnd?.ToUnixTimeSeconds(),
        ["metadata"] = FakeStripeApi.Json(Metadata),
        ["items"] = new JsonObject
        {
            ["object"] = "list",
            ["data"] = new JsonArray(new JsonObject
            {
                ["id"] = ItemId,
                ["object"] = "subscription_item",
                ["quantity"] = 1,
                ["current_period_start"] = CurrentPeriodEnd.AddDays(-30).ToUnixTimeSeconds(),
                ["current_period_end"] = CurrentPeriodEnd.ToUnixTimeSeconds(),
                ["price"] = new JsonObject { ["id"] = PriceId, ["object"] = "price", ["currency"] = "usd", ["type"] = "recurring" },
            }),
        },
    };
}

/// <summary>
/// A local stand-in for the parts of Stripe's API the app uses, over real HTTP (point <c>Stripe:ApiBase</c> at
/// <see cref="BaseUrl"/>). Only keys given to <see cref="AcceptKey"/> work; others get Stripe's 401 error shape.
/// A tenant's account: <c>GET /v1/account</c>, <c>POST /v1/checkout/sessions</c>. The platform's: customers (with
/// idempotency keys), Checkout Sessions in subscription and payment mode, <c>GET/POST /v1/subscriptions/{id}</c>, billing
/// portal sessions, and — once <see cref="ConnectApp"/> names the app and its webhook secret — a hosted Checkout page at
/// the session's <c>url</c> whose Pay button creates the subscription (or pays the credits), posts the signed events
/// Stripe would send to <c>POST /webhooks/stripe</c> and sends the browser to <c>success_url</c>.
/// </summary>
public sealed class FakeStripeApi : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<StripeRequest> _requests = new();
    private readonly ConcurrentDictionary<string, string> _accounts = new();
    private readonly ConcurrentDictionary<string, JsonObject> _customers = new();
    private readonly ConcurrentDictionary<string, string> _idempotent = new();
    private readonly ConcurrentDictionary<string, JsonObject> _sessions = new();
    private readonly ConcurrentDictionary<string, FakeSubscription> _subscriptions = new();
    private readonly ConcurrentQueue<(string Type, string Json, HttpStatusCode Status)> _delivered = new();
    private Func<HttpClient>? _target;
    private string _webhookSecret = "";

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
        app.MapGet("/v1/checkout/sessions", (Func<HttpContext, Task<IResult>>)fake.ListSessionsAsync);
        app.MapPost("/v1/checkout/sessions/{id}/expire", (Func<HttpContext, Task<IResult>>)fake.ExpireSessionAsync);
        app.MapGet("/v1/subscriptions", (Func<HttpContext, Task<IResult>>)fake.ListSubscriptionsAsync);
        app.MapPost("/v1/customers", (Func<HttpContext, Task<IResult>>)fake.CreateCustomerAsync);
        app.MapGet("/v1/subscriptions/{id}", (Func<HttpContext, Task<IResult>>)fake.GetSubscriptionAsync);
        app.MapPost("/v1/subscriptions/{id}", (Func<HttpContext, Task<IResult>>)fake.UpdateSubscriptionAsync);
        app.MapPost("/v1/billing_portal/sessions", (Func<HttpContext, Task<IResult>>)fake.CreatePortalAsync);
        app.MapGet("/c/pay/{id}", (Func<HttpContext, IResult>)fake.CheckoutPage);
        app.MapPost("/c/pay/{id}", (Func<HttpContext, Task<IResult>>)fake.PayAsync);
        app.MapGet("/p/session/{id}", (Func<HttpContext, IResult>)fake.PortalPage);
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
        _requests.Enqueue(new StripeRequest("POST", http.Request.Path, key, form, IdempotencyKeyOf(http)));
        if (key is null || !_accounts.ContainsKey(key)) return InvalidKey(key);
        var id = "cs_test_" + Guid.NewGuid().ToString("N");
        var metadata = Prefixed(form, "metadata[");
        var unit = long.Parse(form.GetValueOrDefault("line_items[0][price_data][unit_amount]", "0"));
        var quantity = long.Parse(form.GetValueOrDefault("line_items[0][quantity]", "1"));
        var session = new JsonObject
        {
            ["id"] = id,
            ["object"] = "checkout.session",
            ["mode"] = form.GetValueOrDefault("mode"),
            ["status"] = "open",
            ["payment_status"] = "unpaid",
            ["amount_total"] = unit * quantity,
            ["currency"] = form.GetValueOrDefault("line_items[0][price_data][currency]"),
            ["customer"] = form.GetValueOrDefault("customer"),
            ["client_reference_id"] = form.GetValueOrDefault("client_reference_id"),
            ["subscription"] = null,
            ["metadata"] = Json(metadata),
            ["success_url"] = form.GetValueOrDefault("success_url"),
            ["cancel_url"] = form.GetValueOrDefault("cancel_url"),
            // A connected app gets Stripe's hosted page for real (served here); otherwise an address nobody opens.
            ["url"] = _target is null ? $"https://checkout.stripe.test/c/pay/{id}" : $"{BaseUrl}/c/pay/{id}",
        };
        // Kept for the hosted page: what the session sells (a price, or the product named in price_data).
        _sessions[id] = session.DeepClone().AsObject();
        _sessions[id]["_price"] = form.GetValueOrDefault("line_items[0][price]");
        _sessions[id]["_product"] = form.GetValueOrDefault("line_items[0][price_data][product_data][name]");
        _sessions[id]["_subscription_metadata"] = Json(Prefixed(form, "subscription_data[metadata]["));
        return Results.Json(session);
    }

    /// <summary>Stripe's list of a customer's Checkout Sessions, filtered by <c>status</c> (open, complete, expired).</summary>
    private async Task<IResult> ListSessionsAsync(HttpContext http)
    {
        var key = KeyOf(http);
        _requests.Enqueue(new StripeRequest("GET", http.Request.Path + http.Request.QueryString, key, new Dictionary<string, string>()));
        await Task.CompletedTask;
        if (key is null || !_accounts.ContainsKey(key)) return InvalidKey(key);
        var customer = http.Request.Query["customer"].ToString();
        var status = http.Request.Query["status"].ToString();
        var items = _sessions.Values
            .Where(sn => sn["customer"]?.GetValue<string>() == customer && (status.Length == 0 || sn["status"]?.GetValue<string>() == status))
            .Select(Public).ToArray();
        return Results.Json(new JsonObject { ["object"] = "list", ["url"] = "/v1/checkout/sessions", ["has_more"] = false, ["data"] = new JsonArray(items) });
    }

    /// <summary>Expires an open session (its page then refuses to pay); 400 for one already complete, as Stripe answers.</summary>
    private async Task<IResult> ExpireSessionAsync(HttpContext http)
    {
        var key = KeyOf(http);
        var id = (string)http.Request.RouteValues["id"]!;
        _requests.Enqueue(new StripeRequest("POST", http.Request.Path, key, await FormAsync(http), IdempotencyKeyOf(http)));
        if (key is null || !_accounts.ContainsKey(key)) return InvalidKey(key);
        if (!_sessions.TryGetValue(id, out var session)) return Missing("checkout.session", id);
        if (session["status"]?.GetValue<string>() != "open")
            return Results.Json(new { error = new { message = $"Only Checkout Sessions with a status in [\"open\"] can be expired.", type = "invalid_request_error" } },
                statusCode: 400);
        session["status"] = "expired";
        return Results.Json(Public(session));
    }

    /// <summary>Stripe's list of a customer's subscriptions (<c>status=all</c> includes canceled ones).</summary>
    private async Task<IResult> ListSubscriptionsAsync(HttpContext http)
    {
        var key = KeyOf(http);
        _requests.Enqueue(new StripeRequest("GET", http.Request.Path + http.Request.QueryString, key, new Dictionary<string, string>()));
        await Task.CompletedTask;
        if (key is null || !_accounts.ContainsKey(key)) return InvalidKey(key);
        var customer = http.Request.Query["customer"].ToString();
        var status = http.Request.Query["status"].ToString();
        var items = _subscriptions.Values
            .Where(sub => sub.Customer == customer && (status is "all" || (status.Length == 0 ? sub.Status != "canceled" : sub.Status == status)))
            .Select(sub => (JsonNode)sub.ToJson()).ToArray();
        return Results.Json(new JsonObject { ["object"] = "list", ["url"] = "/v1/subscriptions", ["has_more"] = false, ["data"] = new JsonArray(items) });
    }

    /// <summary>A stored session as Stripe shows it: without the fake's own bookkeeping fields.</summary>
    private static JsonNode Public(JsonObject stored)
    {
        var copy = stored.DeepClone().AsObject();
        foreach (var hidden in copy.Select(p => p.Key).Where(k => k.StartsWith('_')).ToList()) copy.Remove(hidden);
        return copy;
    }

    /// <summary>The platform's customers: the same idempotency key answers the same customer, as Stripe does for 24 hours.</summary>
    private async Task<IResult> CreateCustomerAsync(HttpContext http)
    {
        var key = KeyOf(http);
        var form = await FormAsync(http);
        var idempotency = IdempotencyKeyOf(http);
        _requests.Enqueue(new StripeRequest("POST", http.Request.Path, key, form, idempotency));
        if (key is null || !_accounts.ContainsKey(key)) return InvalidKey(key);
        var id = idempotency is null ? "cus_" + Guid.NewGuid().ToString("N")[..14] : _idempotent.GetOrAdd(idempotency, _ => "cus_" + Guid.NewGuid().ToString("N")[..14]);
        var customer = _customers.GetOrAdd(id, _ => new JsonObject
        {
            ["id"] = id,
            ["object"] = "customer",
            ["name"] = form.GetValueOrDefault("name"),
            ["email"] = form.GetValueOrDefault("email"),
            ["metadata"] = Json(Prefixed(form, "metadata[")),
        });
        return Results.Json(customer);
    }

    /// <summary>Every customer the fake made (by id), with the metadata the app gave it.</summary>
    public IReadOnlyDictionary<string, JsonObject> Customers => _customers;

    /// <summary>Every subscription the fake holds, by id.</summary>
    public IReadOnlyDictionary<string, FakeSubscription> Subscriptions => _subscriptions;

    /// <summary>Every event the fake posted to the app, with the app's answer.</summary>
    public IReadOnlyList<(string Type, string Json, HttpStatusCode Status)> Delivered => _delivered.ToArray();

    /// <summary>When true, reading a subscription fails as an outage does (500): the app must answer 503 so Stripe retries.</summary>
    public bool SubscriptionReadsFail { get; set; }

    private async Task<IResult> GetSubscriptionAsync(HttpContext http)
    {
        var key = KeyOf(http);
        var id = (string)http.Request.RouteValues["id"]!;
        _requests.Enqueue(new StripeRequest("GET", http.Request.Path, key, new Dictionary<string, string>()));
        await Task.CompletedTask;
        if (key is null || !_accounts.ContainsKey(key)) return InvalidKey(key);
        if (SubscriptionReadsFail) return Results.Json(new { error = new { message = "An error occurred with our connection to Stripe.", type = "api_error" } }, statusCode: 500);
        return _subscriptions.TryGetValue(id, out var subscription) ? Results.Json(subscription.ToJson()) : Missing("subscription", id);
    }

    /// <summary>A plan change in place: the item's price is swapped (Stripe would prorate), the subscription stays the same one.</summary>
    private async Task<IResult> UpdateSubscriptionAsync(HttpContext http)
    {
        var key = KeyOf(http);
        var id = (string)http.Request.RouteValues["id"]!;
        var form = await FormAsync(http);
        _requests.Enqueue(new StripeRequest("POST", http.Request.Path, key, form, IdempotencyKeyOf(http)));
        if (key is null || !_accounts.ContainsKey(key)) return InvalidKey(key);
        if (!_subscriptions.TryGetValue(id, out var subscription)) return Missing("subscription", id);
        if (form.TryGetValue("items[0][price]", out var price))
        {
            if (form.GetValueOrDefault("items[0][id]") != subscription.ItemId)
                return Results.Json(new { error = new { message = "Invalid subscription item id.", type = "invalid_request_error" } }, statusCode: 400);
            subscription.PriceId = price;
        }
        if (form.TryGetValue("cancel_at_period_end", out var cancel)) subscription.CancelAtPeriodEnd = cancel == "true";
        return Results.Json(subscription.ToJson());
    }

    private async Task<IResult> CreatePortalAsync(HttpContext http)
    {
        var key = KeyOf(http);
        var form = await FormAsync(http);
        _requests.Enqueue(new StripeRequest("POST", http.Request.Path, key, form, IdempotencyKeyOf(http)));
        if (key is null || !_accounts.ContainsKey(key)) return InvalidKey(key);
        var customer = form.GetValueOrDefault("customer");
        if (customer is null || !_customers.ContainsKey(customer)) return Missing("customer", customer ?? "");
        var id = "bps_" + Guid.NewGuid().ToString("N")[..14];
        _portals[id] = form.GetValueOrDefault("return_url") ?? "";
        return Results.Json(new JsonObject
        {
            ["id"] = id,
            ["object"] = "billing_portal.session",
            ["customer"] = customer,
            ["return_url"] = form.GetValueOrDefault("return_url"),
            ["url"] = $"{BaseUrl}/p/session/{id}",
        });
    }

    private readonly ConcurrentDictionary<string, string> _portals = new();

    private IResult PortalPage(HttpContext http)
    {
        var id = (string)http.Request.RouteValues["id"]!;
        if (!_portals.TryGetValue(id, out var back)) return Results.NotFound();
        return Results.Content($"""
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Billing portal</title></head>
            <body><h1>Billing portal</h1><p>Payment method and invoices.</p><a href="{System.Net.WebUtility.HtmlEncode(back)}">Return</a></body></html>
            """, "text/html");
    }

    /// <summary>Stripe's hosted Checkout page: what is bought and a Pay button (a plain form POST, no script).</summary>
    private IResult CheckoutPage(HttpContext http)
    {
        var id = (string)http.Request.RouteValues["id"]!;
        if (!_sessions.TryGetValue(id, out var session)) return Results.NotFound();
        var what = session["mode"]?.GetValue<string>() == "subscription"
            ? $"Subscription {session["_price"]}"
            : $"{session["_product"]} — {(session["amount_total"]?.GetValue<long>() ?? 0) / 100m:0.00} {session["currency"]}";
        return Results.Content($"""
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Checkout</title></head>
            <body><h1>Checkout</h1><p id="item">{System.Net.WebUtility.HtmlEncode(what)}</p>
            <form method="post" action="/c/pay/{id}"><button type="submit">Pay</button></form>
            <a href="{System.Net.WebUtility.HtmlEncode(session["cancel_url"]?.GetValue<string>() ?? "")}">Cancel</a></body></html>
            """, "text/html");
    }

    /// <summary>
    /// Pays the session as Stripe would: a subscription session makes the subscription, and the app receives
    /// checkout.session.completed, customer.subscription.created and invoice.paid (signed); a payment session is paid and
    /// completed. Then the browser goes to success_url.
    /// </summary>
    private async Task<IResult> PayAsync(HttpContext http)
    {
        var id = (string)http.Request.RouteValues["id"]!;
        if (!_sessions.TryGetValue(id, out var stored)) return Results.NotFound();
        // Stripe's hosted page of an expired (or already paid) session takes no payment.
        if (stored["status"]?.GetValue<string>() != "open")
            return Results.Content("<!doctype html><html><body><h1>This Checkout Session is no longer available</h1></body></html>", "text/html",
                statusCode: 410);
        var session = stored.DeepClone().AsObject();
        foreach (var hidden in session.Select(p => p.Key).Where(k => k.StartsWith('_')).ToList()) session.Remove(hidden);
        session["status"] = "complete";
        session["payment_status"] = "paid";
        var customer = session["customer"]?.GetValue<string>();
        if (customer is null)
        {
            customer = "cus_" + Guid.NewGuid().ToString("N")[..14];
            _customers[customer] = new JsonObject { ["id"] = customer, ["object"] = "customer" };
            session["customer"] = customer;
        }
        var events = new List<(string, JsonObject)>();
        if (session["mode"]?.GetValue<string>() == "subscription")
        {
            var metadata = stored["_subscription_metadata"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<string>());
            var subscription = CreateSubscription(customer, stored["_price"]?.GetValue<string>() ?? "", metadata);
            session["subscription"] = subscription.Id;
            events.Add(("checkout.session.completed", session));
            events.Add(("customer.subscription.created", subscription.ToJson()));
            events.Add(("invoice.paid", Invoice(subscription, "paid")));
        }
        else
        {
            events.Add(("checkout.session.completed", session));
        }
        _sessions[id]["status"] = "complete";
        foreach (var (type, data) in events) await SendEventAsync(type, data);
        return Results.Redirect(session["success_url"]?.GetValue<string>() ?? "/");
    }

    /// <summary>The app that receives the platform's events: its client (base address = the app) and the webhook secret.</summary>
    public void ConnectApp(Func<HttpClient> app, string webhookSecret)
    {
        _target = app;
        _webhookSecret = webhookSecret;
    }

    /// <summary>A subscription as Checkout would make it (active, one item at <paramref name="priceId"/>), held by the fake.</summary>
    public FakeSubscription CreateSubscription(string customer, string priceId, IReadOnlyDictionary<string, string>? metadata = null,
        string status = "active")
    {
        var subscription = new FakeSubscription
        {
            Id = "sub_" + Guid.NewGuid().ToString("N")[..14],
            Customer = customer,
            ItemId = "si_" + Guid.NewGuid().ToString("N")[..14],
            Status = status,
            PriceId = priceId,
            CurrentPeriodEnd = DateTimeOffset.UtcNow.AddDays(30),
            Created = DateTimeOffset.UtcNow,
            Metadata = metadata?.ToDictionary() ?? [],
        };
        _subscriptions[subscription.Id] = subscription;
        return subscription;
    }

    /// <summary>An invoice of the subscription, where current API versions put its subscription (parent.subscription_details).</summary>
    public static JsonObject Invoice(FakeSubscription subscription, string status, string? id = null, int attemptCount = 1) => new()
    {
        ["id"] = id ?? "in_" + Guid.NewGuid().ToString("N")[..20],
        ["object"] = "invoice",
        ["customer"] = subscription.Customer,
        ["status"] = status,
        ["attempt_count"] = attemptCount,
        ["parent"] = new JsonObject
        {
            ["type"] = "subscription_details",
            ["subscription_details"] = new JsonObject { ["subscription"] = subscription.Id, ["metadata"] = Json(subscription.Metadata) },
        },
    };

    /// <summary>Posts a signed event to the connected app's <c>POST /webhooks/stripe</c>, as Stripe delivers one.</summary>
    public async Task<HttpResponseMessage> SendEventAsync(string type, JsonObject dataObject, string? eventId = null)
    {
        var app = _target ?? throw new InvalidOperationException("ConnectApp first: the fake does not know where the app is.");
        var (json, signature) = SignedEvent(type, dataObject, _webhookSecret, eventId);
        return await PostSignedAsync(app, json, signature, type);
    }

    /// <summary>Posts an exact body and signature (a resend of the same event, or a bad signature).</summary>
    public async Task<HttpResponseMessage> PostSignedAsync(Func<HttpClient> app, string json, string? signature, string type = "")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/stripe") { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        if (signature is not null) request.Headers.TryAddWithoutValidation("Stripe-Signature", signature);
        var response = await app().SendAsync(request);
        _delivered.Enqueue((type, json, response.StatusCode));
        return response;
    }

    private static IResult Missing(string kind, string id) => Results.Json(new
    {
        error = new { code = "resource_missing", message = $"No such {kind}: '{id}'", type = "invalid_request_error" },
    }, statusCode: 404);

    private static string? IdempotencyKeyOf(HttpContext http) =>
        http.Request.Headers.TryGetValue("Idempotency-Key", out var value) ? value.ToString() : null;

    private static Dictionary<string, string> Prefixed(IReadOnlyDictionary<string, string> form, string prefix) =>
        form.Where(f => f.Key.StartsWith(prefix, StringComparison.Ordinal) && f.Key.EndsWith(']'))
            .ToDictionary(f => f.Key[prefix.Length..^1], f => f.Value);

    internal static JsonObject Json(IReadOnlyDictionary<string, string> values)
    {
        var json = new JsonObject();
        foreach (var (k, v) in values) json[k] = v;
        return json;
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
            // A copy: the same object may go out in several events (a retried invoice, a resent session).
            ["data"] = new JsonObject { ["object"] = dataObject.DeepClone() },
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
