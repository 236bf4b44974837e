using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Common;
using OperatorConsole.Infrastructure.Channels.Outbound;
using OperatorConsole.Infrastructure.Options;

namespace OperatorConsole.Infrastructure.Channels;

/// <summary>What the page hands over after Meta's Embedded Signup: the code from FB.login and the ids from its session message.</summary>
public sealed record EmbeddedSignupResult(string Code, string PhoneNumberId, string WabaId);

/// <summary>
/// Finishes WhatsApp Embedded Signup on the server: the code the browser got from FB.login is exchanged for a business
/// token with the app secret (never in the browser), the WABA is subscribed to the platform app so its webhooks come
/// here, and the number is connected through the same ownership proof as a manual connect.
/// </summary>
public sealed class EmbeddedSignup(IHttpClientFactory httpClients, IOptionsMonitor<MetaOptions> meta, ChannelConnections connections,
    TimeProvider clock)
{
    /// <summary>The page offers Embedded Signup only when the platform's Meta app is configured for it.</summary>
    public bool IsConfigured => meta.CurrentValue is { AppId.Length: > 0, ConfigurationId.Length: > 0 };

    /// <exception cref="ChannelOwnershipException">Meta refused the code, the subscription or the token.</exception>
    public async Task<Channel> CompleteAsync(Guid tenantId, EmbeddedSignupResult result, string actor, CancellationToken ct = default)
    {
        if (!IsConfigured) throw new DomainException("channel.signup_unavailable", "Embedded Signup is not configured on this platform.");
        if (string.IsNullOrWhiteSpace(result.Code) || string.IsNullOrWhiteSpace(result.PhoneNumberId) || string.IsNullOrWhiteSpace(result.WabaId))
            throw new DomainException("channel.signup_incomplete", "The sign-up with Meta did not finish: try again.");
        var token = await ExchangeAsync(result.Code.Trim(), ct);
        await SubscribeAsync(result.WabaId.Trim(), token, ct);
        return await connections.ConnectAsync(tenantId,
            new ConnectChannel(ChannelKind.WhatsApp, result.PhoneNumberId, result.WabaId, null, token, null, null), actor, ct);
    }

    // GET /oauth/access_token?client_id&client_secret&code → {"access_token": "...", "token_type": "bearer"}
    private async Task<string> ExchangeAsync(string code, CancellationToken ct)
    {
        var o = meta.CurrentValue;
        var url = $"{o.GraphBaseUrl.TrimEnd('/')}/{o.GraphVersion}/oauth/access_token?client_id={Uri.EscapeDataString(o.AppId!)}" +
                  $"&client_secret={Uri.EscapeDataString(o.AppSecret!)}&code={Uri.EscapeDataString(code)}";
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        var root = await CallAsync(request, ct);
        return GraphErrorClassifier.ReadString(root?["access_token"])
            ?? throw new ChannelOwnershipException("Meta Graph API returned no access token for the sign-up code", false, OwnershipProblem.InvalidToken);
    }

    // POST /{waba-id}/subscribed_apps with the business token → {"success": true}
    private async Task SubscribeAsync(string wabaId, string token, CancellationToken ct)
    {
        var o = meta.CurrentValue;
        using var request = ChannelHttp.JsonPost($"{o.GraphBaseUrl.TrimEnd('/')}/{o.GraphVersion}/{Uri.EscapeDataString(wabaId)}/subscribed_apps",
            new JsonObject(), h => h.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token));
        var root = await CallAsync(request, ct);
        if (root?["success"]?.GetValueKind() != System.Text.Json.JsonValueKind.True)
            throw new ChannelOwnershipException($"Meta Graph API did not subscribe the WhatsApp Business Account {wabaId}", false, OwnershipProblem.NoPermission);
    }

    private async Task<JsonObject?> CallAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var (answer, failure) = await ChannelHttp.SendAsync(httpClients.CreateClient(ChannelHttp.GraphClient), request, "Meta Graph API", clock, ct);
        if (failure is not null) throw new ChannelOwnershipException(failure.Message, providerUnreachable: true);
        var root = ChannelHttp.ParseObject(answer!.Body);
        if (answer.IsSuccess && root?["error"] is null) return root;
        var reason = GraphErrorClassifier.ReadString(root?["error"]?["message"]) ?? $"Meta Graph API answered HTTP {answer.Status}";
        throw new ChannelOwnershipException(reason, false,
            ChannelOwnershipProof.MetaProblem(answer.Status, GraphErrorClassifier.ReadLong(root?["error"]?["code"])));
    }
}
