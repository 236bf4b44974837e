using System.ComponentModel.DataAnnotations;

namespace OperatorConsole.Infrastructure.Options;

/// <summary>Meta platform app (WhatsApp, Messenger, Instagram). Keys: Meta:*.</summary>
public sealed class MetaOptions
{
    /// <summary>The platform's Meta app id; with <see cref="ConfigurationId"/> the Channels page offers WhatsApp Embedded Signup.</summary>
    public string? AppId { get; set; }

    /// <summary>The Facebook Login for Business configuration id of the Embedded Signup flow.</summary>
    public string? ConfigurationId { get; set; }
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

/// <summary>TikTok Business Messaging. Keys: TikTok:*.</summary>
public sealed class TikTokOptions
{
    public string? ClientSecret { get; set; }
    [Required, HttpUrl] public string ApiBaseUrl { get; set; } = "https://business-api.tiktok.com";
}

/// <summary>The LLM (any OpenAI-compatible Chat Completions server). Keys: Llm:*. No ApiKey = the offline responder.</summary>
public sealed class LlmOptions
{
    [Required, Url] public string Endpoint { get; set; } = "https://api.openai.com/v1";
    public string? ApiKey { get; set; }
    [Required] public string Model { get; set; } = "gpt-4o";
    [Required] public string AnalysisModel { get; set; } = "gpt-4o-mini";

    /// <summary>Embeddings for knowledge retrieval (e.g. text-embedding-3-small); empty = full-text retrieval only.</summary>
    public string EmbeddingModel { get; set; } = "";

    /// <summary>How often each node looks for passages without a vector (a new passage on this node wakes it at once).</summary>
    [Range(1, 3600)] public int EmbeddingPollSeconds { get; set; } = 10;

    /// <summary>Per attempt; the SDK retries 429 and 5xx with exponential backoff (honouring Retry-After) up to MaxRetries.</summary>
    [Range(1, 300)] public int TimeoutSeconds { get; set; } = 30;
    [Range(0, 10)] public int MaxRetries { get; set; } = 3;

    /// <summary>Speech-to-text model for customers' voice notes (POST {Endpoint}/audio/transcriptions); empty = not transcribed.</summary>
    public string? TranscriptionModel { get; set; } = "gpt-4o-mini-transcribe";

    /// <summary>USD per minute of audio transcribed (speech-to-text is priced by the minute, not by token).</summary>
    [Range(0, 100)] public decimal TranscriptionPricePerMinute { get; set; } = 0.003m;

    /// <summary>Vision-capable chat model that describes customers' images for tenants who switch it on; empty = never.</summary>
    public string? VisionModel { get; set; } = "gpt-4o-mini";

    /// <summary>USD per million tokens by model name, for the estimated cost of each call.</summary>
    public Dictionary<string, ModelPrice> Prices { get; set; } = [];

    /// <summary>Without an ApiKey the rule-based offline agent answers; it says it is automatic Once per conversation, Always or Never.</summary>
    public OperatorConsole.Infrastructure.Agent.OfflineNoticeMode OfflineNotice { get; set; } = OperatorConsole.Infrastructure.Agent.OfflineNoticeMode.Once;
}

public sealed class ModelPrice
{
    public decimal Input { get; set; }
    public decimal Output { get; set; }
}

/// <summary>Platform billing. Keys: Stripe:*.</summary>
public sealed class StripeOptions
{
    public string? SecretKey { get; set; }
    public string? WebhookSecret { get; set; }

    /// <summary>Base URL of every Stripe.net call (tests point it at a fake); empty = Stripe's.</summary>
    [HttpUrl] public string? ApiBase { get; set; }
    public Dictionary<string, string> Prices { get; set; } = [];
}

public enum OutboundMode { Live, Loopback }

/// <summary>Sends to the channels. Keys: Outbound:*.</summary>
public sealed class OutboundOptions
{
    /// <summary>Live calls the channel APIs; Loopback records sends for the simulator.</summary>
    [EnumDataType(typeof(OutboundMode))] public OutboundMode Mode { get; set; } = OutboundMode.Live;

    /// <summary>Concurrent sends per node (0: this node sends nothing, another node does).</summary>
    [Range(0, 1024)] public int Workers { get; set; } = 4;

    /// <summary>Transient failures are retried this many times (exponential backoff with jitter), then the message fails visibly.</summary>
    [Range(1, 100)] public int MaxAttempts { get; set; } = 8;

    /// <summary>
    /// A send whose outcome is unknown (the process died, or the API did not answer, after the request left) waits this
    /// long for a status or echo that names it (our message id rides in WhatsApp's biz_opaque_callback_data and
    /// Messenger/Instagram's metadata) before it is sent again. Longer than the send timeout (15 s).
    /// </summary>
    [Range(1, 86400)] public int ReconcileSeconds { get; set; } = 60;
}

/// <summary>The platform itself. Keys: Platform:*.</summary>
public sealed class PlatformOptions
{
    /// <summary>A platform (super admin) API key for automation and first setup. Empty disables it.</summary>
    public string? BootstrapApiKey { get; set; }

    /// <summary>
    /// The app's public address, the one origin of every mailed or shared link (read it through PublicLinks). Key:
    /// Platform:PublicBaseUrl; required in Production, http://localhost:5080 elsewhere when unset.
    /// </summary>
    public string PublicBaseUrl { get; set; } = ""; // checked by PublicBaseUrlSetup (stricter than a URL attribute)

    /// <summary>The models a tenant may choose (read it through ModelAllowlist); empty means Llm:Model and Llm:AnalysisModel.</summary>
    public List<string> AllowedModels { get; set; } = [];
}

/// <summary>Start-up database work. Keys: Database:*.</summary>
public sealed class DatabaseOptions
{
    /// <summary>Apply migrations (as ConnectionStrings:Migrations, else Default) when the app starts.</summary>
    public bool Migrate { get; set; } = true;
}

/// <summary>The demo tenant. Keys: Demo:*.</summary>
public sealed class DemoOptions
{
    /// <summary>Seed the demo tenant on start (./console.sh run sets it).</summary>
    public bool Seed { get; set; }
}

/// <summary>The customer simulator. Keys: Simulator:*.</summary>
public sealed class SimulatorOptions
{
    /// <summary>This node's own address when its listening address is not reachable as-is (a container); empty = the listening address.</summary>
    [HttpUrl] public string? BaseUrl { get; set; }
}
