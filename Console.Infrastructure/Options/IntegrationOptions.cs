using System.ComponentModel.DataAnnotations;

namespace OperatorConsole.Infrastructure.Options;

/// <summary>Meta platform app (WhatsApp, Messenger, Instagram). Keys: Meta:*.</summary>
public sealed class MetaOptions
{
    public string? AppSecret { get; set; }
    public string? VerifyToken { get; set; }
    [Required, Url] public string GraphBaseUrl { get; set; } = "https://graph.facebook.com";
    [Required, RegularExpression(@"^v\d+\.\d+$")] public string GraphVersion { get; set; } = "v23.0";

    /// <summary>
    /// Hosts media URLs in deliveries may come from besides the Graph origin: the host itself or any name under it
    /// (a dot boundary: "evilfbcdn.net" is not under "fbcdn.net"). Empty = the defaults.
    /// </summary>
    public List<string> MediaHostSuffixes { get; set; } = [];

    public static readonly IReadOnlyList<string> DefaultMediaHostSuffixes = ["fbcdn.net", "fbsbx.com", "cdninstagram.com", "whatsapp.net", "tiktokcdn.com"];

    public IReadOnlyList<string> EffectiveMediaHostSuffixes => MediaHostSuffixes.Count > 0 ? MediaHostSuffixes : DefaultMediaHostSuffixes;
}

public sealed class TikTokOptions
{
    public string? ClientSecret { get; set; }
    public string ApiBaseUrl { get; set; } = "https://business-api.tiktok.com";
}

/// <summary>The LLM (any OpenAI-compatible Chat Completions server). Keys: Llm:*. No ApiKey = the offline responder.</summary>
public sealed class LlmOptions
{
    [Required, Url] public string Endpoint { get; set; } = "https://api.openai.com/v1";
    public string? ApiKey { get; set; }
    [Required] public string Model { get; set; } = "gpt-4o";
    [Required] public string AnalysisModel { get; set; } = "gpt-4o-mini";

    /// <summary>Per attempt; the SDK retries 429 and 5xx with exponential backoff (honouring Retry-After) up to MaxRetries.</summary>
    [Range(1, 300)] public int TimeoutSeconds { get; set; } = 30;
    [Range(0, 10)] public int MaxRetries { get; set; } = 3;

    /// <summary>USD per million tokens by model name, for the estimated cost of each call.</summary>
    public Dictionary<string, ModelPrice> Prices { get; set; } = [];
}

public sealed class ModelPrice
{
    public decimal Input { get; set; }
    public decimal Output { get; set; }
}

public sealed class StripeOptions
{
    public string? SecretKey { get; set; }
    public string? WebhookSecret { get; set; }
    public string? ApiBase { get; set; }
    public Dictionary<string, string> Prices { get; set; } = [];
}

public enum OutboundMode { Live, Loopback }

public sealed class OutboundOptions
{
    public OutboundMode Mode { get; set; } = OutboundMode.Live;
}

public sealed class PlatformOptions
{
    /// <summary>A platform (super admin) API key for automation and first setup. Empty disables it.</summary>
    public string? BootstrapApiKey { get; set; }

    /// <summary>
    /// The app's public address, the one origin of every mailed or shared link (read it through PublicLinks). Key:
    /// Platform:PublicBaseUrl; required in Production, http://localhost:5080 elsewhere when unset.
    /// </summary>
    public string PublicBaseUrl { get; set; } = "";
}
