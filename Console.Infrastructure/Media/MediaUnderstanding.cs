using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenAI;
using OpenAI.Audio;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Agent;
using OperatorConsole.Infrastructure.Options;

namespace OperatorConsole.Infrastructure.Media;

/// <summary>What a model made of a customer's media, with the usage row to record for it.</summary>
public sealed record MediaReading(string Text, TokenUsage? Usage);

/// <summary>
/// Turns a customer's voice note into a transcript (speech-to-text on the OpenAI-compatible endpoint,
/// <c>Llm:TranscriptionModel</c>, priced per minute of audio) and, for tenants who switch it on, an image into a short
/// description (a vision chat model, <c>Llm:VisionModel</c>, priced by tokens like any chat call), so the agent reads them
/// as text. Any failure is logged and answers null: the agent is then told it could not open the file.
/// </summary>
public sealed class MediaUnderstanding(IOptionsMonitor<LlmOptions> options, LlmGateway gateway, TimeProvider clock, ILogger<MediaUnderstanding> log)
{
    private const string DescribePrompt =
        "A customer sent this image to a business over a messaging app. Describe in two or three plain sentences what it shows "
        + "and any text in it, in the language of that text (Spanish if there is none), so an assistant who cannot see it can answer.";

    public bool CanTranscribe => gateway.IsConfigured && !string.IsNullOrWhiteSpace(options.CurrentValue.TranscriptionModel);

    public bool CanDescribe => gateway.IsConfigured && !string.IsNullOrWhiteSpace(options.CurrentValue.VisionModel);

    /// <summary>Whether this message's media would be read at all (so the fetcher loads the bytes only then).</summary>
    public bool Wants(MessageType type, bool tenantDescribesImages) => type switch
    {
        MessageType.Audio => CanTranscribe,
        MessageType.Image => CanDescribe && tenantDescribesImages,
        _ => false,
    };

    public async Task<MediaReading?> ReadAsync(Message message, Stream content, string contentType, CancellationToken ct)
    {
        try
        {
            return message.Type == MessageType.Audio
                ? await TranscribeAsync(message, content, contentType, ct)
                : await DescribeAsync(message, content, contentType, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            log.LogWarning(ex, "Could not read the {Type} of message {MessageId}; the agent will ask for text", message.Type, message.Id);
            return null;
        }
    }

    private async Task<MediaReading?> TranscribeAsync(Message message, Stream content, string contentType, CancellationToken ct)
    {
        var o = options.CurrentValue;
        var model = o.TranscriptionModel!;
        var client = new OpenAIClient(new ApiKeyCredential(o.ApiKey!), new OpenAIClientOptions
        {
            Endpoint = new Uri(o.Endpoint),
            NetworkTimeout = TimeSpan.FromSeconds(o.TimeoutSeconds),
            RetryPolicy = new ClientRetryPolicy(o.MaxRetries),
        }).GetAudioClient(model);
        using var buffer = new MemoryStream();
        await content.CopyToAsync(buffer, ct);
        var bytes = buffer.ToArray();
        buffer.Position = 0;
        var result = await client.TranscribeAudioAsync(buffer, "voice-note" + MediaTypes.Extension(contentType), new AudioTranscriptionOptions(), ct);
        var text = result.Value.Text?.Trim();
        if (string.IsNullOrEmpty(text)) return null;
        // The service prices audio by the minute: its reported duration when it gives one, else read from the file.
        var seconds = result.Value.Duration?.TotalSeconds ?? AudioDuration.Estimate(bytes, contentType);
        var cost = Math.Round((decimal)seconds / 60m * o.TranscriptionPricePerMinute, 6);
        var usage = TokenUsage.Record(message.TenantId, message.ConversationId, gateway.Provider, model, LlmFeature.Transcription, 0, 0,
            cost, clock.GetUtcNow());
        return new MediaReading(text, usage);
    }

    private async Task<MediaReading?> DescribeAsync(Message message, Stream content, string contentType, CancellationToken ct)
    {
        var model = options.CurrentValue.VisionModel!;
        using var buffer = new MemoryStream();
        await content.CopyToAsync(buffer, ct);
        var ask = new ChatMessage(ChatRole.User, [new TextContent(DescribePrompt), new DataContent(buffer.ToArray(), contentType)]);
        var response = await gateway.For(model).GetResponseAsync([ask], new ChatOptions { MaxOutputTokens = 300, Temperature = 0.2f }, ct);
        var text = response.Text?.Trim();
        if (string.IsNullOrEmpty(text)) return null;
        return new MediaReading(text, gateway.Usage(message.TenantId, message.ConversationId, model, LlmFeature.Vision, response.Usage));
    }
}

/// <summary>A voice note's length for pricing when the transcription service does not report it.</summary>
public static class AudioDuration
{
    public static double Estimate(byte[] bytes, string contentType)
    {
        // Ogg (WhatsApp's Opus voice notes): the last page's granule position counts 48 kHz samples.
        if (contentType == "audio/ogg")
        {
            for (var i = bytes.Length - 27; i >= 0; i--)
            {
                if (bytes[i] != (byte)'O' || bytes[i + 1] != (byte)'g' || bytes[i + 2] != (byte)'g' || bytes[i + 3] != (byte)'S') continue;
                var granule = BitConverter.ToInt64(bytes, i + 6);
                if (granule > 0) return granule / 48_000d;
                break;
            }
        }
        // Otherwise a voice bitrate guess (about 16 kbit/s): close enough for a cost estimate.
        return bytes.Length * 8 / 16_000d;
    }
}
