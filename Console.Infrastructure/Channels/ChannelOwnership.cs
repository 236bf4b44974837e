using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Infrastructure.Channels.Outbound;
using OperatorConsole.Infrastructure.Options;

namespace OperatorConsole.Infrastructure.Channels;

/// <summary>Why a provider refused a token, in the few kinds a person can act on (the console says each in plain words).</summary>
public enum OwnershipProblem { Other, InvalidToken, NoPermission, NotFound, Unreachable }

/// <summary>The access token given on connect could not read the account: the tenant has not shown it owns it.</summary>
public sealed class ChannelOwnershipException(string reason, bool providerUnreachable, OwnershipProblem problem = OwnershipProblem.Other)
    : Exception(reason)
{
    public const string ErrorCode = "channel.ownership_unproven";

    public string Code => ErrorCode;

    /// <summary>The provider could not be asked (network, timeout): the token may be fine; try again later.</summary>
    public bool ProviderUnreachable { get; } = providerUnreachable;

    public OwnershipProblem Problem { get; } = providerUnreachable ? OwnershipProblem.Unreachable : problem;
}

/// <summary>How a connect was allowed: proven by the provider, or not asked at all (loopback demo mode).</summary>
public enum OwnershipEvidence { Proven, SkippedInLoopback }

/// <summary>The proof, with the name the provider gives the account (display number, page name, username) when it said one.</summary>
public sealed record OwnershipProof(OwnershipEvidence Evidence, string? ProviderName);

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
    public async Task<OwnershipProof> ProveAsync(ChannelKind kind, string externalId, string accessToken, CancellationToken ct)
    {
        // Loopback (demo, benchmarks) talks to no channel API at all, so there is nobody to ask. Production never
        // skips: a misconfigured Production in loopback must not open the squatting hole again.
        if (outbound.CurrentValue.Mode == OutboundMode.Loopback && !environment.IsProduction())
        {
            log.LogWarning("Channel {Kind} {ExternalId} connected WITHOUT an ownership check: Outbound:Mode is Loopback", kind, externalId);
            return new OwnershipProof(OwnershipEvidence.SkippedInLoopback, null);
        }
        var name = kind == ChannelKind.TikTok
            ? await ProveTikTokAsync(externalId, accessToken, ct)
            : await ProveMetaAsync(kind, externalId, accessToken, ct);
        return new OwnershipProof(OwnershipEvidence.Proven, string.IsNullOrWhiteSpace(name) ? null : name.Trim());
    }

    // Each Graph node type has its own name fields; asking one it does not have fails the whole read (#100).
    private static string MetaFields(ChannelKind kind) => kind switch
    {
        ChannelKind.WhatsApp => "id,display_phone_number,verified_name",
        ChannelKind.Instagram => "id,username",
        _ => "id,name",
    };

    private static string? MetaName(ChannelKind kind, JsonObject? root) => kind switch
    {
        ChannelKind.WhatsApp => GraphErrorClassifier.ReadString(root?["display_phone_number"]) is { } number
            ? GraphErrorClassifier.ReadString(root?["verified_name"]) is { } verified ? $"{verified} ({number})" : number
            : null,
        ChannelKind.Instagram => GraphErrorClassifier.ReadString(root?["username"]) is { } user ? "@" + user : null,
        _ => GraphErrorClassifier.ReadString(root?["name"]),
    };

    /// <summary>Graph's error codes as the few problems a person can act on (190 token, 10/200-299 permission, 100 unknown id).</summary>
    internal static OwnershipProblem MetaProblem(int status, long? code) => code switch
    {
        190 or 102 or 463 or 467 => OwnershipProblem.InvalidToken,
        10 or (>= 200 and <= 299) => OwnershipProblem.NoPermission,
        100 or 803 => OwnershipProblem.NotFound,
        _ => status switch
        {
            401 => OwnershipProblem.InvalidToken,
            403 => OwnershipProblem.NoPermission,
            404 => OwnershipProblem.NotFound,
            _ => OwnershipProblem.Other,
        },
    };

    private async Task<string?> ProveMetaAsync(ChannelKind kind, string externalId, string accessToken, CancellationToken ct)
    {
        const string api = "Meta Graph API";
        var o = meta.CurrentValue;
        var url = $"{o.GraphBaseUrl.TrimEnd('/')}/{o.GraphVersion}/{Uri.EscapeDataString(externalId)}?fields={MetaFields(kind)}";
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", accessToken);
        var (answer, failure) = await ChannelHttp.SendAsync(httpClients.CreateClient(ChannelHttp.GraphClient), request, api, clock, ct);
        if (failure is not null) throw new ChannelOwnershipException(failure.Message, providerUnreachable: true);

        var root = ChannelHttp.ParseObject(answer!.Body);
        // The id must come back as asked: a token for another object (e.g. a user token) may read "me", not this account.
        if (answer.IsSuccess && GraphErrorClassifier.ReadString(root?["id"]) == externalId) return MetaName(kind, root);
        var reason = GraphErrorClassifier.ReadString(root?["error"]?["message"])
            ?? (answer.IsSuccess ? $"{api} did not return the account {externalId} for this token" : $"{api} answered HTTP {answer.Status}");
        var problem = answer.IsSuccess ? OwnershipProblem.NotFound : MetaProblem(answer.Status, GraphErrorClassifier.ReadLong(root?["error"]?["code"]));
        throw new ChannelOwnershipException(reason, providerUnreachable: false, problem);
    }

    private async Task<string?> ProveTikTokAsync(string externalId, string accessToken, CancellationToken ct)
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
        var code = GraphErrorClassifier.ReadLong(root?["code"]);
        if (answer.IsSuccess && code == 0 && root?["data"] is JsonObject data) return GraphErrorClassifier.ReadString(data["display_name"]);
        var reason = GraphErrorClassifier.ReadString(root?["message"]) ?? $"{api} answered HTTP {answer.Status}";
        // 40100-40105: missing/invalid/expired token; 40001 and 40002: no permission on this business.
        var problem = code switch
        {
            >= 40100 and <= 40105 => OwnershipProblem.InvalidToken,
            40001 or 40002 => OwnershipProblem.NoPermission,
            _ => answer.Status switch { 401 => OwnershipProblem.InvalidToken, 403 => OwnershipProblem.NoPermission, 404 => OwnershipProblem.NotFound, _ => OwnershipProblem.Other },
        };
        throw new ChannelOwnershipException(reason, providerUnreachable: false, problem);
    }
}
