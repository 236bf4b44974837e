using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Infrastructure.Channels.Outbound;
using OperatorConsole.Infrastructure.Options;

namespace OperatorConsole.Infrastructure.Channels;

/// <summary>The access token given on connect could not read the account: the tenant has not shown it owns it.</summary>
public sealed class ChannelOwnershipException(string reason, bool providerUnreachable) : Exception(reason)
{
    public const string ErrorCode = "channel.ownership_unproven";

    public string Code => ErrorCode;

    /// <summary>The provider could not be asked (network, timeout): the token may be fine; try again later.</summary>
    public bool ProviderUnreachable { get; } = providerUnreachable;
}

/// <summary>How a connect was allowed: proven by the provider, or not asked at all (loopback demo mode).</summary>
public enum OwnershipEvidence { Proven, SkippedInLoopback }

/// <summary>
/// Proves, before a channel is saved, that the tenant holds a token that can read the account it claims: Graph
/// <c>GET /{version}/{id}</c> (phone number id, page id, IG account id) with the token as Bearer, or TikTok's
/// <c>business/get</c> with the Access-Token header. Without it, any tenant could register a business's id first and
/// receive its customers' messages (and every delivery already waiting for that id).
/// </summary>
public sealed class ChannelOwnershipProof(
    IHttpClientFactory httpClients,
    IOptionsMonitor<MetaOptions> meta,
    IOptionsMonitor<TikTokOptions> tiktok,
    IOptionsMonitor<OutboundOptions> outbound,
    IHostEnvironment environment,
    TimeProvider clock,
    ILogger<ChannelOwnershipProof> log)
{
    /// <summary>Returns how ownership was established, or throws <see cref="ChannelOwnershipException"/> with the provider's reason.</summary>
    public async Task<OwnershipEvidence> ProveAsync(ChannelKind kind, string externalId, string accessToken, CancellationToken ct)
    {
        // Loopback (demo, benchmarks) talks to no channel API at all, so there is nobody to ask. Production never
        // skips: a misconfigured Production in loopback must not open the squatting hole again.
        if (outbound.CurrentValue.Mode == OutboundMode.Loopback && !environment.IsProduction())
        {
            log.LogWarning("Channel {Kind} {ExternalId} connected WITHOUT an ownership check: Outbound:Mode is Loopback", kind, externalId);
            return OwnershipEvidence.SkippedInLoopback;
        }
        if (kind == ChannelKind.TikTok) await ProveTikTokAsync(externalId, accessToken, ct);
        else await ProveMetaAsync(externalId, accessToken, ct);
        return OwnershipEvidence.Proven;
    }

    private async Task ProveMetaAsync(string externalId, string accessToken, CancellationToken ct)
    {
        const string api = "Meta Graph API";
        var o = meta.CurrentValue;
        var url = $"{o.GraphBaseUrl.TrimEnd('/')}/{o.GraphVersion}/{Uri.EscapeDataString(externalId)}?fields=id";
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", accessToken);
        var (answer, failure) = await ChannelHttp.SendAsync(httpClients.CreateClient(ChannelHttp.GraphClient), request, api, clock, ct);
        if (failure is not null) throw new ChannelOwnershipException(failure.Message, providerUnreachable: true);

        var root = ChannelHttp.ParseObject(answer!.Body);
        // The id must come back as asked: a token for another object (e.g. a user token) may read "me", not this account.
        if (answer.IsSuccess && GraphErrorClassifier.ReadString(root?["id"]) == externalId) return;
        var reason = GraphErrorClassifier.ReadString(root?["error"]?["message"])
            ?? (answer.IsSuccess ? $"{api} did not return the account {externalId} for this token" : $"{api} answered HTTP {answer.Status}");
        throw new ChannelOwnershipException(reason, providerUnreachable: false);
    }

    private async Task ProveTikTokAsync(string externalId, string accessToken, CancellationToken ct)
    {
        const string api = "TikTok Business API";
        var fields = Uri.EscapeDataString("[\"display_name\"]");
        var url = $"{tiktok.CurrentValue.ApiBaseUrl.TrimEnd('/')}/open_api/v1.3/business/get/?business_id={Uri.EscapeDataString(externalId)}&fields={fields}";
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Add("Access-Token", accessToken);
        var (answer, failure) = await ChannelHttp.SendAsync(httpClients.CreateClient(ChannelHttp.TikTokClient), request, api, clock, ct);
        if (failure is not null) throw new ChannelOwnershipException(failure.Message, providerUnreachable: true);

        // TikTok answers most errors with HTTP 200 and a non-zero code.
        var root = ChannelHttp.ParseObject(answer!.Body);
        if (answer.IsSuccess && GraphErrorClassifier.ReadLong(root?["code"]) == 0 && root?["data"] is JsonObject) return;
        var reason = GraphErrorClassifier.ReadString(root?["message"]) ?? $"{api} answered HTTP {answer.Status}";
        throw new ChannelOwnershipException(reason, providerUnreachable: false);
    }
}
