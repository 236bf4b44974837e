using System.Text.Json;
using System.Text.RegularExpressions;
using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Agent;

public enum ToolMode { Live, Mock }

/// <summary>
/// A tenant's own tool: the model calls it with JSON arguments and we call the tenant's webhook (their CRM, stock
/// system, n8n flow). In mock mode it answers a fixed response, for the sandbox and for building before wiring.
/// </summary>
public sealed partial class AgentTool : ITenantOwned
{
    public static readonly IReadOnlySet<string> BuiltInNames = new HashSet<string>
    {
        "escalate_to_human", "update_lead", "check_availability", "book_appointment", "send_payment_link", "send_file", "send_options",
        "search_knowledge",
    };

    private static readonly string[] Methods = ["GET", "POST", "PUT", "PATCH", "DELETE"];

    private AgentTool() { }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public string Name { get; private set; } = "";
    public string Description { get; private set; } = "";

    /// <summary>JSON Schema of the arguments (an object schema), as the model sees it.</summary>
    public string ParametersSchema { get; private set; } = "{}";
    public string Url { get; private set; } = "";
    public string Method { get; private set; } = "POST";

    /// <summary>Header names and values as JSON, encrypted (values are often API keys).</summary>
    public string? ProtectedHeaders { get; private set; }
    public IReadOnlyList<string> HeaderNames { get; private set; } = [];
    public string? BodyTemplate { get; private set; }
    public int TimeoutSeconds { get; private set; }
    public ToolMode Mode { get; private set; }
    public string? MockResponse { get; private set; }
    public bool Enabled { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset UpdatedAt { get; private set; }

    public static AgentTool Create(Guid tenantId, AgentToolSpec spec, Func<string, string> protect, DateTimeOffset now)
    {
        var tool = new AgentTool { Id = Guid.CreateVersion7(now), TenantId = tenantId, CreatedAt = now, Enabled = true };
        tool.Update(spec, protect, now);
        return tool;
    }

    /// <param name="protect">Encrypts the headers' JSON; null header values in an update keep the stored ones.</param>
    public void Update(AgentToolSpec spec, Func<string, string> protect, DateTimeOffset now)
    {
        var name = spec.Name?.Trim() ?? "";
        if (!NamePattern().IsMatch(name))
            throw new DomainException("tool.name", "A tool name is 1–64 letters, digits or underscores, starting with a letter (e.g. check_stock).");
        if (BuiltInNames.Contains(name))
            throw new DomainException("tool.name_builtin", $"'{name}' is a built-in tool; choose another name.", name);
        if (string.IsNullOrWhiteSpace(spec.Description) || spec.Description.Length > 1000)
            throw new DomainException("tool.description", "Describe when the agent should use the tool (at most 1000 characters).");
        var schema = string.IsNullOrWhiteSpace(spec.ParametersSchema) ? """{"type":"object","properties":{}}""" : spec.ParametersSchema;
        try
        {
            using var doc = JsonDocument.Parse(schema);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("type", out var type) || type.GetString() != "object")
                throw new DomainException("tool.parameters_schema", "parametersSchema must be a JSON Schema object with \"type\": \"object\".");
        }
        catch (JsonException ex)
        {
            throw new DomainException("tool.parameters_schema_json", $"parametersSchema is not valid JSON: {ex.Message}", ex.Message);
        }
        if (!Uri.TryCreate(spec.Url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            throw new DomainException("tool.url", "url must be an absolute http(s) URL; {{param}} placeholders are allowed in it.");
        var method = (spec.Method ?? "POST").Trim().ToUpperInvariant();
        if (!Methods.Contains(method)) throw new DomainException("tool.method", "method is GET, POST, PUT, PATCH or DELETE.");
        var timeout = spec.TimeoutSeconds ?? 5;
        if (timeout is < 1 or > 30) throw new DomainException("tool.timeout", "timeoutSeconds is between 1 and 30.");
        var mode = ToolMode.Live;
        if (spec.Mode is { } m && !Enum.TryParse(m, true, out mode)) throw new DomainException("tool.mode", "mode is live or mock.");
        if (mode == ToolMode.Mock && string.IsNullOrEmpty(spec.MockResponse))
            throw new DomainException("tool.mock_response", "A mock tool needs a mockResponse.");

        Name = name;
        Description = spec.Description.Trim();
        ParametersSchema = schema;
        Url = spec.Url!.Trim();
        Method = method;
        BodyTemplate = string.IsNullOrWhiteSpace(spec.BodyTemplate) ? null : spec.BodyTemplate;
        TimeoutSeconds = timeout;
        Mode = mode;
        MockResponse = spec.MockResponse;
        if (spec.Headers is { } headers)
        {
            if (headers.Keys.Any(k => string.IsNullOrWhiteSpace(k) || k.Any(c => c is ':' or '\r' or '\n' or ' ')))
                throw new DomainException("tool.headers", "Header names may not contain spaces, colons or line breaks.");
            HeaderNames = headers.Keys.ToList();
            ProtectedHeaders = headers.Count == 0 ? null : protect(JsonSerializer.Serialize(headers));
        }
        if (spec.Enabled is { } enabled) Enabled = enabled;
        UpdatedAt = now;
    }

    [GeneratedRegex("^[a-zA-Z][a-zA-Z0-9_]{0,63}$")]
    private static partial Regex NamePattern();
}

/// <summary>A tool as the API receives it; a null member means "not given".</summary>
public sealed record AgentToolSpec(string? Name, string? Description, string? ParametersSchema, string? Url, string? Method,
    IReadOnlyDictionary<string, string>? Headers, string? BodyTemplate, int? TimeoutSeconds, string? Mode, string? MockResponse, bool? Enabled = null);
