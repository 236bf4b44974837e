using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace OperatorConsole.Tests.Fakes;

/// <summary>A speech-to-text request the fake received.</summary>
public sealed record FakeTranscription(string Model, string FileName, byte[] Audio);

/// <summary>A tool call the scripted model makes.</summary>
public sealed record FakeToolCall(string Name, object Arguments);

/// <summary>One scripted answer: text, tool calls, an HTTP error, or a hold until released.</summary>
public sealed record LlmAnswer(string? Text = null, IReadOnlyList<FakeToolCall>? ToolCalls = null, int? ErrorStatus = null,
    TaskCompletionSource? Hold = null, int InputTokens = 120, int OutputTokens = 30)
{
    public static LlmAnswer Say(string text) => new(Text: text);

    public static LlmAnswer Call(string name, object args) => new(ToolCalls: [new FakeToolCall(name, args)]);

    public static LlmAnswer Fail(int status) => new(ErrorStatus: status);
}

/// <summary>
/// A local OpenAI-compatible Chat Completions server (POST /v1/chat/completions, non-streaming wire format), so the
/// app's real OpenAI SDK + Microsoft.Extensions.AI code runs unchanged. Replies and structured-output (analysis)
/// calls have separate scripts; unscripted calls get a default answer. Records every request. Also speech-to-text
/// (POST /v1/audio/transcriptions, multipart) and image inputs in chat completions (answered with
/// <see cref="DefaultDescription"/>, recorded apart from reply calls in <see cref="VisionRequests"/>).
/// </summary>
public sealed class FakeLlm : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<LlmAnswer> _replies = new();
    private readonly ConcurrentQueue<LlmAnswer> _analyses = new();
    private readonly ConcurrentQueue<JsonObject> _requests = new();
    private readonly ConcurrentQueue<FakeTranscription> _transcriptions = new();
    private int _sequence;

    private FakeLlm(WebApplication app) => _app = app;

    public Uri BaseUrl { get; private set; } = default!;

    /// <summary>The value for Llm:Endpoint.</summary>
    public string Endpoint => new Uri(BaseUrl, "/v1").ToString();

    public IReadOnlyList<JsonObject> Requests => _requests.ToArray();

    /// <summary>Calls to /v1/embeddings (kept apart: they are not chat calls).</summary>
    public IReadOnlyList<JsonObject> EmbeddingRequests => _embeddingRequests.ToArray();

    /// <summary>Answers the next embedding calls with this HTTP status (then normally again).</summary>
    public void FailEmbeddings(int times, int status = 500)
    {
        for (var i = 0; i < times; i++) _embeddingFailures.Enqueue(status);
    }

    private readonly ConcurrentQueue<JsonObject> _embeddingRequests = new();
    private readonly ConcurrentQueue<int> _embeddingFailures = new();

    /// <summary>Calls for a reply (not the structured lead analysis, not an image description).</summary>
    public IReadOnlyList<JsonObject> ReplyRequests => Requests.Where(r => r["response_format"] is null && !HasImage(r)).ToList();

    /// <summary>Chat calls that carried an image (a vision model asked to describe a customer's picture).</summary>
    public IReadOnlyList<JsonObject> VisionRequests => Requests.Where(HasImage).ToList();

    /// <summary>Every speech-to-text call: the model, the file name and the audio bytes received.</summary>
    public IReadOnlyList<FakeTranscription> Transcriptions => _transcriptions.ToArray();

    /// <summary>What every transcription answers (a Spanish voice note).</summary>
    public string TranscriptText { get; set; } = "Hola, quisiera saber el precio de la limpieza dental";

    /// <summary>The audio length the transcription reports, in seconds (null: not reported, as gpt-4o-*-transcribe).</summary>
    public double? TranscriptSeconds { get; set; } = 90;

    /// <summary>What every image description answers.</summary>
    public string DefaultDescription { get; set; } = "Una foto de una muela con una mancha oscura.";

    /// <summary>The data URLs (data:image/...;base64,...) of the images in chat call <paramref name="request"/>.</summary>
    public static IReadOnlyList<string> ImageUrls(JsonObject request) => request["messages"]!.AsArray()
        .SelectMany(m => m!["content"] is JsonArray parts ? parts : [])
        .Where(p => (string?)p!["type"] == "image_url").Select(p => (string?)p!["image_url"]?["url"] ?? "").ToList();

    private static bool HasImage(JsonObject request) => ImageUrls(request).Count > 0;

    public IReadOnlyList<JsonObject> AnalysisRequests => Requests.Where(r => r["response_format"] is not null).ToList();

    /// <summary>Default answer for unscripted reply calls.</summary>
    public string DefaultReply { get; set; } = "¡Hola! ¿En qué puedo ayudarte?";

    /// <summary>Default structured analysis (all signals false) for unscripted analysis calls.</summary>
    public object DefaultAnalysis { get; set; } = new { interested = false, urgent = false, budgetMentioned = false, decisionMaker = false,
        comparing = false, notInterested = false, spam = false, frustrated = false, paymentIssue = false };

    public static async Task<FakeLlm> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var fake = new FakeLlm(app);
        app.MapPost("/v1/chat/completions", (Func<HttpContext, Task<IResult>>)fake.CompleteAsync);
        app.MapPost("/v1/embeddings", (Func<HttpContext, Task<IResult>>)fake.EmbedAsync);
        app.MapPost("/v1/audio/transcriptions", (Func<HttpContext, Task<IResult>>)fake.TranscribeAsync);
        await app.StartAsync();
        fake.BaseUrl = new Uri(app.Urls.First());
        return fake;
    }

    public void Reply(params LlmAnswer[] answers)
    {
        foreach (var a in answers) _replies.Enqueue(a);
    }

    public void Analysis(object result) => _analyses.Enqueue(new LlmAnswer(Text: JsonSerializer.Serialize(result)));

    /// <summary>An analysis answer exactly as written (a model that breaks the schema).</summary>
    public void AnalysisText(string raw) => _analyses.Enqueue(new LlmAnswer(Text: raw));

    /// <summary>The user messages the model saw in reply call <paramref name="index"/>.</summary>
    public IReadOnlyList<string> UserMessages(int index) => ReplyRequests[index]["messages"]!.AsArray()
        .Where(m => (string?)m!["role"] == "user").Select(m => Content(m!)).ToList();

    public string SystemPrompt(int index) => Content(ReplyRequests[index]["messages"]!.AsArray().First(m => (string?)m!["role"] == "system")!);

    private static string Content(JsonNode message) => message["content"] switch
    {
        JsonValue v => (string?)v ?? "",
        JsonArray parts => string.Concat(parts.Select(p => (string?)p!["text"] ?? "")),
        _ => "",
    };

    private async Task<IResult> TranscribeAsync(HttpContext http)
    {
        var form = await http.Request.ReadFormAsync();
        var file = form.Files.GetFile("file");
        using var bytes = new MemoryStream();
        if (file is not null) await file.CopyToAsync(bytes);
        _transcriptions.Enqueue(new FakeTranscription(form["model"].ToString(), file?.FileName ?? "", bytes.ToArray()));
        var answer = new JsonObject { ["text"] = TranscriptText };
        if (TranscriptSeconds is { } seconds)
        {
            answer["language"] = "spanish";
            answer["duration"] = seconds;
        }
        return Results.Json(answer);
    }

    private async Task<IResult> CompleteAsync(HttpContext http)
    {
        var body = (await JsonNode.ParseAsync(http.Request.Body))!.AsObject();
        _requests.Enqueue(body);
        if (HasImage(body))
            return Results.Json(Completion(Interlocked.Increment(ref _sequence), body,
                new JsonObject { ["role"] = "assistant", ["content"] = DefaultDescription }, "stop", 800, 40));
        var structured = body["response_format"] is not null;
        // The tool loop's follow-up call (after tool results) answers with plain text unless scripted.
        var answer = (structured ? _analyses : _replies).TryDequeue(out var scripted) ? scripted : null;
        if (answer?.Hold is { } hold)
        {
            await hold.Task.WaitAsync(http.RequestAborted);
            answer = answer with { Hold = null };
            if (answer.Text is null && answer.ToolCalls is null && answer.ErrorStatus is null) answer = null;
        }
        if (answer?.ErrorStatus is { } status)
            return Results.Json(new { error = new { message = "The server had an error while processing your request.", type = "server_error" } },
                statusCode: status);

        var id = Interlocked.Increment(ref _sequence);
        var message = new JsonObject { ["role"] = "assistant" };
        string finish;
        if (answer?.ToolCalls is { Count: > 0 } calls)
        {
            message["content"] = null;
            message["tool_calls"] = new JsonArray(calls.Select((c, i) => (JsonNode)new JsonObject
            {
                ["id"] = $"call_{id}_{i}",
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = c.Name, ["arguments"] = JsonSerializer.Serialize(c.Arguments) },
            }).ToArray());
            finish = "tool_calls";
        }
        else
        {
            message["content"] = answer?.Text ?? (structured ? JsonSerializer.Serialize(DefaultAnalysis) : DefaultReply);
            finish = "stop";
        }
        return Results.Json(Completion(id, body, message, finish, answer?.InputTokens ?? 120, answer?.OutputTokens ?? 30));
    }

    /// <summary>
    /// The OpenAI embeddings wire format over <see cref="FakeEmbedder"/>: a string or an array of strings in, one vector
    /// each out (as floats, or base64 little-endian float32 when the SDK asks for it), usage counted in words.
    /// </summary>
    private async Task<IResult> EmbedAsync(HttpContext http)
    {
        var body = (await JsonNode.ParseAsync(http.Request.Body))!.AsObject();
        _embeddingRequests.Enqueue(body);
        if (_embeddingFailures.TryDequeue(out var status))
            return Results.Json(new { error = new { message = "The server had an error while processing your request.", type = "server_error" } },
                statusCode: status);
        var inputs = body["input"] switch
        {
            JsonArray items => items.Select(i => (string?)i ?? "").ToList(),
            JsonValue one => [(string?)one ?? ""],
            _ => [],
        };
        var base64 = (string?)body["encoding_format"] == "base64";
        var data = new JsonArray(inputs.Select((text, i) =>
        {
            var vector = FakeEmbedder.Embed(text);
            JsonNode embedding = base64
                ? JsonValue.Create(Convert.ToBase64String(System.Runtime.InteropServices.MemoryMarshal.AsBytes(vector.AsSpan())))
                : new JsonArray(vector.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());
            return (JsonNode)new JsonObject { ["object"] = "embedding", ["index"] = i, ["embedding"] = embedding };
        }).ToArray());
        var tokens = inputs.Sum(FakeEmbedder.CountTokens);
        return Results.Json(new JsonObject
        {
            ["object"] = "list",
            ["data"] = data,
            ["model"] = (string?)body["model"] ?? FakeEmbedder.ModelName,
            ["usage"] = new JsonObject { ["prompt_tokens"] = tokens, ["total_tokens"] = tokens },
        });
    }

    private static JsonObject Completion(int id, JsonObject request, JsonObject message, string finish, int input, int output) => new()
    {
        ["id"] = $"chatcmpl-{id}",
        ["object"] = "chat.completion",
        ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        ["model"] = (string?)request["model"] ?? "gpt-4o",
        ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = message, ["finish_reason"] = finish }),
        ["usage"] = new JsonObject { ["prompt_tokens"] = input, ["completion_tokens"] = output, ["total_tokens"] = input + output },
    };

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
