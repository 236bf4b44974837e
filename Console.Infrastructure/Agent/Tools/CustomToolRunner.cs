using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Json.Schema;
using Microsoft.Extensions.AI;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Infrastructure.Security;

namespace OperatorConsole.Infrastructure.Agent.Tools;

/// <summary>Why a call failed, for the owner's Test button (the model reads the English error).</summary>
public enum ToolFailure { None, InvalidArguments, Refused, Timeout, HttpStatus, Other }

/// <param name="Status">The HTTP status the tool's server answered, when it answered.</param>
public sealed record ToolOutcome(string Output, string? Error, TimeSpan Duration, int? Status = null, ToolFailure Failure = ToolFailure.None);

/// <summary>
/// Calls a tenant's webhook tool. Arguments are interpolated into the URL (URL-escaped) and the body template
/// (JSON-escaped, so a quote in an argument cannot break the JSON), headers are decrypted only here, the answer is
/// truncated for the model. Every destination — after DNS resolution and on every redirect — is checked against
/// private and metadata ranges before a socket is opened. Never throws: failures come back as the outcome's error.
/// </summary>
public sealed partial class CustomToolRunner(IHttpClientFactory http, SecretProtector protector)
{
    public const string HttpClientName = "custom-tools";
    public const int MaxOutput = 4_000;
    private const int MaxRedirects = 3;

    public Task<ToolOutcome> RunAsync(AgentTool tool, JsonElement arguments, bool forceMock, CancellationToken ct) =>
        RunAsync(tool, arguments, ToolCallContext.None, forceMock, ct);

    /// <param name="context">The conversation's verified facts for {{contact.*}} / {{conversation.*}} in the templates.</param>
    public async Task<ToolOutcome> RunAsync(AgentTool tool, JsonElement arguments, ToolCallContext context, bool forceMock, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        // Checked before anything else, mock mode included: the sandbox must show the same refusal a live call gets.
        if (InvalidArguments(tool, arguments) is { } invalid) return Fail(invalid, watch, ToolFailure.InvalidArguments);
        if (forceMock || tool.Mode == ToolMode.Mock)
            return new ToolOutcome(tool.MockResponse ?? "(mock: no response configured)", null, watch.Elapsed);
        try
        {
            var url = Interpolate(tool.Url, arguments, context, Uri.EscapeDataString);
            var body = tool.BodyTemplate is null ? null : Interpolate(tool.BodyTemplate, arguments, context, JsonEscape);
            var headers = tool.ProtectedHeaders is null ? new Dictionary<string, string>()
                : JsonSerializer.Deserialize<Dictionary<string, string>>(protector.Unprotect(tool.ProtectedHeaders)) ?? [];
            // Header values may name verified variables only: a model argument never reaches a header.
            headers = headers.ToDictionary(h => h.Key, h => InterpolateVerified(h.Value, context));
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(tool.TimeoutSeconds));
            var client = http.CreateClient(HttpClientName);
            var method = new HttpMethod(tool.Method);
            var target = new Uri(url);
            var origin = Origin(target);
            for (var hop = 0; ; hop++)
            {
                if (target.Scheme != Uri.UriSchemeHttp && target.Scheme != Uri.UriSchemeHttps)
                    return Fail($"refused: {target.Scheme} URLs are not allowed", watch, ToolFailure.Refused);
                using var request = new HttpRequestMessage(method, target);
                // The tool's headers usually carry its API key: they go to the origin the tenant configured, never to
                // wherever that server redirects (another host, another port, or plain http).
                if (Origin(target) == origin)
                {
                    foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
                }
                if (body is not null && method != HttpMethod.Get) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } location)
                {
                    if (hop >= MaxRedirects) return Fail($"too many redirects (more than {MaxRedirects})", watch);
                    target = location.IsAbsoluteUri ? location : new Uri(target, location);
                    if (response.StatusCode == HttpStatusCode.SeeOther || (method == HttpMethod.Post && (int)response.StatusCode is 301 or 302))
                    {
                        method = HttpMethod.Get;
                        body = null;
                    }
                    continue;
                }
                var text = await ReadLimitedAsync(response, timeout.Token);
                if (!response.IsSuccessStatusCode)
                    return new ToolOutcome(text, $"HTTP {(int)response.StatusCode} from the tool's server", watch.Elapsed, (int)response.StatusCode,
                        ToolFailure.HttpStatus);
                return new ToolOutcome(text, null, watch.Elapsed, (int)response.StatusCode);
            }
        }
        catch (HttpRequestException ex) when (GuardedNetwork.Blocked(ex) is { } blocked)
        {
            return Fail($"refused: {blocked.Message}", watch, ToolFailure.Refused);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return Fail($"timed out after {tool.TimeoutSeconds} s", watch, ToolFailure.Timeout);
        }
        catch (Exception ex) when (ex is HttpRequestException or UriFormatException or InvalidOperationException or JsonException
                                       or System.Security.Cryptography.CryptographicException)
        {
            return Fail(ex.Message, watch);
        }
    }

    private static string Origin(Uri uri) => uri.GetLeftPart(UriPartial.Authority).ToLowerInvariant();

    /// <summary>Why the model's arguments do not fit the tool's schema (the model reads it and may call again), or null.</summary>
    private static string? InvalidArguments(AgentTool tool, JsonElement arguments)
    {
        try
        {
            var problems = ToolSchemas.Check(ToolSchemas.Build(tool.ParametersSchema), arguments);
            return problems.Count == 0 ? null
                : $"invalid arguments, nothing was sent: {string.Join("; ", problems)}. Call {tool.Name} again with arguments that match its parameters.";
        }
        catch (Exception ex) when (ex is ToolSchemaException or JsonSchemaException or RefResolutionException or ArgumentException
                                       or KeyNotFoundException or InvalidOperationException)
        {
            // A schema stored before schemas were checked on save: refuse rather than call with unchecked arguments.
            return $"the tool's parameter schema is invalid, nothing was sent ({ex.Message})";
        }
    }

    private static ToolOutcome Fail(string error, Stopwatch watch, ToolFailure failure = ToolFailure.Other) =>
        new("", error, watch.Elapsed, null, failure);

    private static async Task<string> ReadLimitedAsync(HttpResponseMessage response, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new char[MaxOutput + 1];
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var read = await reader.ReadBlockAsync(buffer.AsMemory(), ct);
        return read > MaxOutput ? new string(buffer, 0, MaxOutput) + "… [truncated]" : new string(buffer, 0, read);
    }

    /// <summary>
    /// {{param}} → the model's argument, {{contact.phone}} and the other verified names → the conversation's value (never
    /// an argument, even one of the same name); each escaped for where it goes. A missing value becomes empty.
    /// </summary>
    public static string Interpolate(string template, JsonElement arguments, Func<string, string> escape) =>
        Interpolate(template, arguments, ToolCallContext.None, escape);

    public static string Interpolate(string template, JsonElement arguments, ToolCallContext context, Func<string, string> escape) =>
        Placeholder().Replace(template, m =>
        {
            var name = m.Groups[1].Value;
            if (ToolCallContext.IsVerified(name)) return escape(context.Value(name) ?? "");
            if (arguments.ValueKind != JsonValueKind.Object || !arguments.TryGetProperty(name, out var value)) return "";
            return value.ValueKind switch
            {
                JsonValueKind.String => escape(value.GetString()!),
                JsonValueKind.Null => "",
                _ => escape == JsonEscape ? value.GetRawText() : escape(value.GetRawText()),
            };
        });

    /// <summary>Only the verified variables (for header values); anything else in braces stays as written.</summary>
    private static string InterpolateVerified(string template, ToolCallContext context) =>
        Placeholder().Replace(template, m => ToolCallContext.IsVerified(m.Groups[1].Value)
            ? (context.Value(m.Groups[1].Value) ?? "").Replace("\r", "").Replace("\n", "")
            : m.Value);

    public static string JsonEscape(string s) => JsonEncodedText.Encode(s, System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping).ToString();

    [GeneratedRegex(@"\{\{\s*([a-zA-Z0-9_]+(?:\.[a-zA-Z0-9_]+)?)\s*\}\}")]
    private static partial Regex Placeholder();
}

/// <summary>A custom tool as the model sees it: the tenant's name, description and JSON Schema; calls go to the runner.</summary>
/// <param name="context">The turn's conversation: fills the verified template variables.</param>
public sealed class CustomToolFunction(AgentTool tool, CustomToolRunner runner, bool forceMock, ToolCallContext context) : AIFunction
{
    private readonly JsonElement _schema = JsonDocument.Parse(tool.ParametersSchema).RootElement.Clone();

    public override string Name => tool.Name;
    public override string Description => tool.Description;
    public override JsonElement JsonSchema => _schema;

    protected override async ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken ct)
    {
        var args = JsonSerializer.SerializeToElement(arguments.ToDictionary(kv => kv.Key, kv => kv.Value));
        var outcome = await runner.RunAsync(tool, args, context, forceMock, ct);
        return outcome.Error is { } error ? $"Error: {error}" + (outcome.Output.Length > 0 ? $"\n{outcome.Output}" : "") : outcome.Output;
    }
}
