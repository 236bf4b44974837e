using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace OperatorConsole.Tests.Fakes;

/// <summary>One request the fake Graph API received.</summary>
public sealed record GraphRequest(string Method, string Path, string? Authorization, JsonNode? Body, DateTimeOffset At);

/// <summary>
/// An error the fake answers with, shaped like Meta's: {"error":{message,type,code,error_subcode?,error_data,fbtrace_id}},
/// optionally with a Retry-After header (seconds).
/// </summary>
public sealed record GraphError(int Code, int HttpStatus = 400, string Message = "(#131047) Re-engagement message",
    string Type = "OAuthException", string? Details = null, int? Subcode = null, int? RetryAfterSeconds = null);

/// <summary>
/// A local stand-in for Meta's Graph API speaking its wire format over real HTTP, so the app's real client code
/// runs unchanged (point Meta:GraphBaseUrl at <see cref="BaseUrl"/>). Records every request; answers sends with
/// Meta-shaped successes, or with queued errors (<see cref="FailNext"/>), raw answers (<see cref="AnswerNextRaw"/>) or
/// delays (<see cref="DelayNext"/>); serves media metadata and bytes.
/// </summary>
public sealed class FakeGraphApi : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Scripted> _scripted = new();
    private readonly ConcurrentQueue<GraphRequest> _requests = new();
    private readonly ConcurrentDictionary<string, (string MimeType, byte[] Bytes)> _media = new();
    private readonly ConcurrentDictionary<string, string> _redirects = new();
    private readonly ConcurrentDictionary<string, bool> _withoutLength = new();
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, bool>> _readableByToken = new();
    private int _sequence;

    private FakeGraphApi(WebApplication app) => _app = app;

    public Uri BaseUrl { get; private set; } = default!;

    public IReadOnlyCollection<GraphRequest> Requests => _requests.ToArray();

    /// <summary>Message sends (POST …/messages), oldest first.</summary>
    public IReadOnlyList<GraphRequest> Sends => _requests.Where(r => r.Method == "POST" && r.Path.EndsWith("/messages")).ToList();

    public static async Task<FakeGraphApi> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var fake = new FakeGraphApi(app);
        app.MapPost("/{version}/{accountId}/messages", fake.SendAsync);
        app.MapGet("/{version}/{mediaId}", fake.MediaInfo);
        app.MapGet("/media-bytes/{mediaId}", fake.MediaBytes);
        fake.MapChannelSetup(app);
        fake.MapTemplates(app);
        await app.StartAsync();
        fake.BaseUrl = new Uri(app.Urls.First());
        return fake;
    }

    /// <summary>The next send is answered with this error (queued, one per send).</summary>
    public void FailNext(GraphError error) => _scripted.Enqueue(new Scripted(error, null, TimeSpan.Zero));

    /// <summary>The next send is answered with this status and body as is (a proxy's HTML page, an empty 502).</summary>
    public void AnswerNextRaw(int httpStatus, string body, string contentType = "text/html") =>
        _scripted.Enqueue(new Scripted(null, new RawAnswer(httpStatus, body, contentType), TimeSpan.Zero));

    /// <summary>The next send waits this long before its normal answer (or until the client gives up).</summary>
    public void DelayNext(TimeSpan delay) => _scripted.Enqueue(new Scripted(null, null, delay));

    /// <summary>Media the fake serves at /media-bytes/{id}; <paramref name="withoutLength"/> streams it chunked, with no Content-Length.</summary>
    public void AddMedia(string mediaId, string mimeType, byte[] bytes, bool withoutLength = false)
    {
        _media[mediaId] = (mimeType, bytes);
        if (withoutLength) _withoutLength[mediaId] = true;
    }

    /// <summary>/media-bytes/{id} answers 302 to <paramref name="location"/> (a CDN hop, or an attacker's redirect).</summary>
    public void RedirectMedia(string mediaId, string location) => _redirects[mediaId] = location;

    /// <summary>The URL the fake serves a media id's bytes at (what Graph's media info answers as "url").</summary>
    public Uri MediaUrl(string mediaId) => new(BaseUrl, $"/media-bytes/{mediaId}");

    /// <summary>
    /// This token can read these Graph objects (phone number ids, page ids, IG account ids) with <c>GET /{version}/{id}</c>,
    /// as the ownership check on connect asks. A token never granted is invalid (code 190); a granted token asking
    /// for another object gets Meta's "Unsupported get request" (code 100).
    /// </summary>
    public void GrantRead(string accessToken, params string[] objectIds)
    {
        var ids = _readableByToken.GetOrAdd(accessToken, _ => new ConcurrentDictionary<string, bool>());
        foreach (var id in objectIds) ids[id] = true;
    }

    private async Task<IResult> SendAsync(HttpContext http, string version, string accountId)
    {
        var body = await JsonNode.ParseAsync(http.Request.Body);
        _requests.Enqueue(new GraphRequest("POST", http.Request.Path, http.Request.Headers.Authorization, body, DateTimeOffset.UtcNow));
        _scripted.TryDequeue(out var scripted);
        // Accepted (no scripted error): the message is out from here on, whatever happens to the answer.
        var accepted = scripted?.Error is null && scripted?.Raw is null && body?["status"]?.GetValue<string>() != "read"
            ? Accept(accountId, body) : null;
        if (scripted is not null)
        {
            if (scripted.Delay > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(scripted.Delay, http.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    return Results.Empty; // the client gave up waiting
                }
            }
            if (scripted.Raw is { } raw) return Results.Content(raw.Body, raw.ContentType, statusCode: raw.HttpStatus);
            if (scripted.Error is { } error)
            {
                if (error.RetryAfterSeconds is { } seconds) http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                var fields = new JsonObject
                {
                    ["message"] = error.Message,
                    ["type"] = error.Type,
                    ["code"] = error.Code,
                };
                if (error.Subcode is { } subcode) fields["error_subcode"] = subcode;
                fields["error_data"] = new JsonObject { ["messaging_product"] = "whatsapp", ["details"] = error.Details ?? error.Message };
                fields["fbtrace_id"] = "AbCdEf" + Interlocked.Increment(ref _sequence);
                return Results.Content(new JsonObject { ["error"] = fields }.ToJsonString(), "application/json", statusCode: error.HttpStatus);
            }
        }
        if (accepted is null) return Results.Json(new { success = true }); // a read receipt
        if (accepted.Source == "whatsapp")
        {
            var to = body?["to"]?.GetValue<string>() ?? "";
            return Results.Json(new
            {
                messaging_product = "whatsapp",
                contacts = new[] { new { input = to, wa_id = to } },
                messages = new[] { new { id = accepted.ExternalId } },
            });
        }
        // Messenger / Instagram Send API.
        var recipient = body?["recipient"]?["id"]?.GetValue<string>() ?? "";
        return Results.Json(new { recipient_id = recipient, message_id = accepted.ExternalId });
    }

    // ---- What Meta sends back about an accepted send: WhatsApp statuses, Messenger/Instagram echoes ----
    private readonly ConcurrentQueue<AcceptedSend> _accepted = new();
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Every send the fake accepted (a message now out), with the webhook Meta sends about it.</summary>
    public IReadOnlyList<AcceptedSend> Accepted => _accepted.ToArray();

    /// <summary>
    /// Where the fake posts the status (WhatsApp) or echo (Messenger, Instagram) of each accepted send, signed with
    /// <see cref="WebhookSecret"/> like Meta: an HttpClient whose base address is the app (a test server's client, or a
    /// real process's URL). Null: nothing is posted (a test can post <see cref="AcceptedSend.Webhook"/> itself). Changing it
    /// redirects the posts still being retried (an app restarted on another address).
    /// </summary>
    public HttpClient? WebhookTarget { get; set; }

    public string WebhookSecret { get; set; } = "test-meta-app-secret";

    /// <summary>How long after accepting a send its status or echo is posted (Meta's are not instant).</summary>
    public TimeSpan StatusDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The share of accepted sends whose status or echo never comes (0 to 1), as with Meta now and then.</summary>
    public double StatusDropRate { get; set; }

    /// <summary>The next accepted send gets no status or echo at all.</summary>
    public void DropNextStatus() => Interlocked.Increment(ref _dropNext);

    private int _dropNext;

    private bool TakeDropNext()
    {
        while (true)
        {
            var current = Volatile.Read(ref _dropNext);
            if (current == 0) return false;
            if (Interlocked.CompareExchange(ref _dropNext, current - 1, current) == current) return true;
        }
    }

    /// <summary>Webhook posts the app answered 200 (statuses and echoes delivered).</summary>
    public int WebhooksDelivered => _webhooksDelivered;

    private int _webhooksDelivered;

    /// <summary>Statuses and echoes still to be posted (waiting out their delay, or retried while the app is down).</summary>
    public int WebhooksInFlight => Volatile.Read(ref _webhooksInFlight);

    private int _webhooksInFlight;

    private AcceptedSend Accept(string accountId, JsonNode? body)
    {
        var n = Interlocked.Increment(ref _sequence);
        var now = DateTimeOffset.UtcNow;
        AcceptedSend accepted;
        if (body?["messaging_product"]?.GetValue<string>() == "whatsapp")
        {
            var wamid = $"wamid.FAKE{n:D8}";
            var ours = body["biz_opaque_callback_data"]?.GetValue<string>();
            var to = body["to"]?.GetValue<string>() ?? body["recipient"]?.GetValue<string>() ?? "";
            var status = new JsonObject
            {
                ["id"] = wamid, ["status"] = "sent", ["timestamp"] = now.ToUnixTimeSeconds().ToString(), ["recipient_id"] = to,
            };
            if (ours is not null) status["biz_opaque_callback_data"] = ours;
            var webhook = new JsonObject
            {
                ["object"] = "whatsapp_business_account",
                ["entry"] = new JsonArray(new JsonObject
                {
                    ["id"] = "WABA",
                    ["changes"] = new JsonArray(new JsonObject
                    {
                        ["field"] = "messages",
                        ["value"] = new JsonObject
                        {
                            ["messaging_product"] = "whatsapp",
                            ["metadata"] = new JsonObject { ["display_phone_number"] = "15550000000", ["phone_number_id"] = accountId },
                            ["statuses"] = new JsonArray(status),
                        },
                    }),
                }),
            };
            accepted = new AcceptedSend(accountId, wamid, ours, "whatsapp", webhook.ToJsonString());
        }
        else
        {
            var mid = $"m_FAKE{n:D8}";
            var message = body?["message"]?.DeepClone().AsObject() ?? new JsonObject();
            var ours = message["metadata"]?.GetValue<string>();
            message["mid"] = mid;
            message["is_echo"] = true;
            message["app_id"] = 1234;
            var millis = now.ToUnixTimeMilliseconds();
            // Instagram account ids and page ids both name the account: the fake is told which by the path's id prefix.
            var instagram = _instagramAccounts.ContainsKey(accountId);
            var webhook = new JsonObject
            {
                ["object"] = instagram ? "instagram" : "page",
                ["entry"] = new JsonArray(new JsonObject
                {
                    ["id"] = accountId, ["time"] = millis,
                    ["messaging"] = new JsonArray(new JsonObject
                    {
                        ["sender"] = new JsonObject { ["id"] = accountId },
                        ["recipient"] = new JsonObject { ["id"] = body?["recipient"]?["id"]?.GetValue<string>() ?? "" },
                        ["timestamp"] = millis,
                        ["message"] = message,
                    }),
                }),
            };
            accepted = new AcceptedSend(accountId, mid, ours, instagram ? "instagram" : "messenger", webhook.ToJsonString());
        }
        _accepted.Enqueue(accepted);
        var dropped = TakeDropNext() || Random.Shared.NextDouble() < StatusDropRate;
        if (!dropped)
        {
            Interlocked.Increment(ref _webhooksInFlight);
            _ = PostWebhookAsync(accepted);
        }
        return accepted;
    }

    private readonly ConcurrentDictionary<string, bool> _instagramAccounts = new();

    /// <summary>Sends from this account id are Instagram's (their echoes say "object":"instagram").</summary>
    public void IsInstagramAccount(string accountId) => _instagramAccounts[accountId] = true;

    /// <summary>Posts like Meta: after the delay, signed, retried with backoff until the app answers 200 (it may be down).</summary>
    private async Task PostWebhookAsync(AcceptedSend accepted)
    {
        var ct = _stopping.Token;
        try
        {
            await Task.Delay(StatusDelay, ct);
            var wait = TimeSpan.FromMilliseconds(200);
            while (!ct.IsCancellationRequested)
            {
                if (WebhookTarget is { } target)
                {
                    try
                    {
                        using var response = await new Support.WebhookClient(target, WebhookSecret).PostMetaAsync(accepted.Source, accepted.Webhook);
                        if (response.IsSuccessStatusCode)
                        {
                            Interlocked.Increment(ref _webhooksDelivered);
                            Interlocked.Decrement(ref _webhooksInFlight);
                            return;
                        }
                    }
                    catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException or ObjectDisposedException
                                                   or InvalidOperationException)
                    {
                        // The app is down (or restarting): Meta retries.
                    }
                }
                await Task.Delay(wait, ct);
                wait = TimeSpan.FromMilliseconds(Math.Min(wait.TotalMilliseconds * 2, 2000));
            }
        }
        catch (OperationCanceledException)
        {
            // The fake is stopping.
        }
    }

    private IResult MediaInfo(HttpContext http, string version, string mediaId)
    {
        _requests.Enqueue(new GraphRequest("GET", http.Request.Path, http.Request.Headers.Authorization, null, DateTimeOffset.UtcNow));
        if (!_media.TryGetValue(mediaId, out var media)) return ObjectInfo(http, mediaId);
        return Results.Json(new
        {
            url = new Uri(BaseUrl, $"/media-bytes/{mediaId}").AbsoluteUri,
            mime_type = media.MimeType,
            sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(media.Bytes)),
            file_size = media.Bytes.Length,
            id = mediaId,
            messaging_product = "whatsapp",
        });
    }

    private IResult ObjectInfo(HttpContext http, string objectId)
    {
        var authorization = http.Request.Headers.Authorization.ToString();
        var token = authorization.StartsWith("Bearer ", StringComparison.Ordinal) ? authorization["Bearer ".Length..] : "";
        if (!_readableByToken.TryGetValue(token, out var readable))
            return Results.Json(new { error = new { message = "Invalid OAuth access token - Cannot parse access token", type = "OAuthException",
                code = 190, fbtrace_id = "AbCdEfOwn" } }, statusCode: 400);
        if (!readable.ContainsKey(objectId))
            return Results.Json(new { error = new { message = $"Unsupported get request. Object with ID '{objectId}' does not exist, cannot be " +
                "loaded due to missing permissions, or does not support this operation.", type = "GraphMethodException", code = 100,
                error_subcode = 33, fbtrace_id = "AbCdEfOwn" } }, statusCode: 400);
        if (!_names.TryGetValue(objectId, out var names)) return Results.Json(new { id = objectId });
        var described = names.DeepClone().AsObject();
        described["id"] = objectId;
        return Results.Content(described.ToJsonString(), "application/json");
    }

    private async Task<IResult> MediaBytes(HttpContext http, string mediaId)
    {
        _requests.Enqueue(new GraphRequest("GET", http.Request.Path, http.Request.Headers.Authorization, null, DateTimeOffset.UtcNow));
        if (_redirects.TryGetValue(mediaId, out var location)) return Results.Redirect(location);
        if (!_media.TryGetValue(mediaId, out var media)) return Results.NotFound();
        if (!_withoutLength.ContainsKey(mediaId)) return Results.Bytes(media.Bytes, media.MimeType);
        http.Response.ContentType = media.MimeType;
        try
        {
            // Written in pieces with no Content-Length (chunked), as a server that hides the size would.
            foreach (var chunk in media.Bytes.Chunk(8192)) await http.Response.Body.WriteAsync(chunk, http.RequestAborted);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The client stopped reading (it refused the size): nothing more to send.
        }
        return Results.Empty;
    }

    // ---- Channel set-up (Channels page): names on the ownership read, Embedded Signup's code exchange and WABA subscription ----
    private readonly ConcurrentDictionary<string, JsonObject> _names = new();
    private readonly ConcurrentDictionary<string, string> _codes = new();
    private string? _appId, _appSecret;

    /// <summary>The fields <c>GET /{version}/{id}</c> answers besides the id (display_phone_number, verified_name, name, username).</summary>
    public void Describe(string objectId, object fields) => _names[objectId] = JsonSerializer.SerializeToNode(fields)!.AsObject();

    /// <summary>The platform app Embedded Signup codes are exchanged for (client_id and client_secret must match).</summary>
    public void UseApp(string appId, string appSecret) => (_appId, _appSecret) = (appId, appSecret);

    /// <summary>A one-time Embedded Signup code that <c>oauth/access_token</c> exchanges for this business token.</summary>
    public void IssueCode(string code, string accessToken) => _codes[code] = accessToken;

    /// <summary>WABAs subscribed to the app (POST /{waba-id}/subscribed_apps), in order.</summary>
    public IReadOnlyList<GraphRequest> Subscriptions => _requests.Where(r => r.Method == "POST" && r.Path.EndsWith("/subscribed_apps")).ToList();

    private void MapChannelSetup(WebApplication app)
    {
        app.MapGet("/{version}/oauth/access_token", (HttpContext http) =>
        {
            _requests.Enqueue(new GraphRequest("GET", http.Request.Path, null, null, DateTimeOffset.UtcNow));
            var q = http.Request.Query;
            if (q["client_id"] != _appId || q["client_secret"] != _appSecret)
                return Results.Json(new { error = new { message = "Error validating client secret.", type = "OAuthException", code = 1, fbtrace_id = "AbCdEfEs" } }, statusCode: 400);
            // A code works once, as Meta's do.
            if (!_codes.TryRemove(q["code"].ToString(), out var token))
                return Results.Json(new { error = new { message = "This authorization code has been used.", type = "OAuthException", code = 100,
                    error_subcode = 36009, fbtrace_id = "AbCdEfEs" } }, statusCode: 400);
            return Results.Json(new { access_token = token, token_type = "bearer" });
        });
        app.MapPost("/{version}/{wabaId}/subscribed_apps", (HttpContext http, string wabaId) =>
        {
            _requests.Enqueue(new GraphRequest("POST", http.Request.Path, http.Request.Headers.Authorization, null, DateTimeOffset.UtcNow));
            var authorization = http.Request.Headers.Authorization.ToString();
            var token = authorization.StartsWith("Bearer ", StringComparison.Ordinal) ? authorization["Bearer ".Length..] : "";
            if (!_readableByToken.TryGetValue(token, out var readable) || !readable.ContainsKey(wabaId))
                return Results.Json(new { error = new { message = "(#200) Permissions error", type = "OAuthException", code = 200, fbtrace_id = "AbCdEfEs" } }, statusCode: 403);
            return Results.Json(new { success = true });
        });
    }
    // ---- end of channel set-up ----
    // ---- WhatsApp message templates (GET/POST/DELETE /{version}/{waba-id}/message_templates) ----

    private readonly ConcurrentDictionary<string, List<JsonObject>> _templates = new();

    /// <summary>Templates per page when listing (Meta pages with cursors; small here so two pages are easy to reach).</summary>
    public int TemplatePageSize { get; set; } = 2;

    /// <summary>A template already on the WABA, as WhatsApp Manager would list it.</summary>
    public void AddTemplate(string wabaId, string name, string language, string status = "APPROVED", string category = "UTILITY",
        string body = "Hola {{1}}, te esperamos el {{2}}.", string? rejectedReason = null, string[]? samples = null)
    {
        var bodyComponent = new JsonObject { ["type"] = "BODY", ["text"] = body };
        if (samples is { Length: > 0 }) bodyComponent["example"] = new JsonObject { ["body_text"] = new JsonArray(new JsonArray(samples.Select(x => (JsonNode?)x).ToArray())) };
        var list = _templates.GetOrAdd(wabaId, _ => []);
        lock (list)
        {
            list.Add(new JsonObject
            {
                ["id"] = (1000000 + Interlocked.Increment(ref _sequence)).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["name"] = name, ["language"] = language, ["status"] = status, ["category"] = category,
                ["components"] = new JsonArray(bodyComponent),
                ["rejected_reason"] = rejectedReason ?? "NONE",
            });
        }
    }

    /// <summary>The WABA's templates now (created ones included, deleted ones gone).</summary>
    public IReadOnlyList<JsonObject> Templates(string wabaId)
    {
        var list = _templates.GetOrAdd(wabaId, _ => []);
        lock (list) return list.Select(t => (JsonObject)t.DeepClone()).ToList();
    }

    public void RemoveTemplate(string wabaId, string name)
    {
        var list = _templates.GetOrAdd(wabaId, _ => []);
        lock (list) list.RemoveAll(t => t["name"]?.GetValue<string>() == name);
    }

    private void MapTemplates(WebApplication app)
    {
        app.MapGet("/{version}/{wabaId}/message_templates", (HttpContext http, string version, string wabaId) =>
        {
            _requests.Enqueue(new GraphRequest("GET", http.Request.Path + http.Request.QueryString, http.Request.Headers.Authorization, null, DateTimeOffset.UtcNow));
            if (!http.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.Ordinal)) return Results.Json(new { error = new { message = "An active access token must be used", type = "OAuthException", code = 190 } }, statusCode: 401);
            var all = Templates(wabaId);
            var start = int.TryParse(http.Request.Query["after"], out var after) ? after : 0;
            var page = all.Skip(start).Take(TemplatePageSize).ToList();
            var paging = new JsonObject { ["cursors"] = new JsonObject { ["before"] = start.ToString(), ["after"] = (start + page.Count).ToString() } };
            if (start + page.Count < all.Count)
                paging["next"] = new Uri(BaseUrl, $"/{version}/{wabaId}/message_templates?limit={TemplatePageSize}&after={start + page.Count}").AbsoluteUri;
            return Results.Content(new JsonObject { ["data"] = new JsonArray(page.Select(p => (JsonNode)p).ToArray()), ["paging"] = paging }.ToJsonString(), "application/json");
        });
        app.MapPost("/{version}/{wabaId}/message_templates", async (HttpContext http, string version, string wabaId) =>
        {
            var body = await JsonNode.ParseAsync(http.Request.Body) as JsonObject;
            _requests.Enqueue(new GraphRequest("POST", http.Request.Path, http.Request.Headers.Authorization, body, DateTimeOffset.UtcNow));
            var name = body?["name"]?.GetValue<string>() ?? "";
            var language = body?["language"]?.GetValue<string>() ?? "";
            var list = _templates.GetOrAdd(wabaId, _ => []);
            lock (list)
            {
                if (list.Any(t => t["name"]?.GetValue<string>() == name && t["language"]?.GetValue<string>() == language))
                    return Results.Json(new { error = new { message = "Invalid parameter", type = "OAuthException", code = 100, error_subcode = 2388023,
                        error_user_msg = $"There is already {language} content for this template ({name}).", fbtrace_id = "AbCdEfTpl" } }, statusCode: 400);
                var id = (1000000 + Interlocked.Increment(ref _sequence)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                list.Add(new JsonObject
                {
                    ["id"] = id, ["name"] = name, ["language"] = language, ["status"] = "PENDING",
                    ["category"] = body?["category"]?.GetValue<string>() ?? "UTILITY", ["components"] = body?["components"]?.DeepClone(),
                });
                return Results.Json(new { id, status = "PENDING", category = body?["category"]?.GetValue<string>() ?? "UTILITY" });
            }
        });
        app.MapDelete("/{version}/{wabaId}/message_templates", (HttpContext http, string version, string wabaId) =>
        {
            _requests.Enqueue(new GraphRequest("DELETE", http.Request.Path + http.Request.QueryString, http.Request.Headers.Authorization, null, DateTimeOffset.UtcNow));
            var name = http.Request.Query["name"].ToString();
            var list = _templates.GetOrAdd(wabaId, _ => []);
            lock (list)
            {
                if (list.RemoveAll(t => t["name"]?.GetValue<string>() == name) == 0)
                    return Results.Json(new { error = new { message = $"Template name {name} does not exist", type = "OAuthException", code = 100 } }, statusCode: 400);
            }
            return Results.Json(new { success = true });
        });
    }

    public static string Json(object value) => JsonSerializer.Serialize(value);

    private sealed record RawAnswer(int HttpStatus, string Body, string ContentType);

    private sealed record Scripted(GraphError? Error, RawAnswer? Raw, TimeSpan Delay);

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>A send the fake accepted: its channel id, our id as the send carried it, and the webhook Meta sends about it.</summary>
/// <param name="Source">The webhook route: whatsapp, messenger or instagram.</param>
/// <param name="Webhook">The status (WhatsApp) or echo (Messenger/Instagram) delivery, as Meta would post it.</param>
public sealed record AcceptedSend(string AccountId, string ExternalId, string? OurId, string Source, string Webhook);
