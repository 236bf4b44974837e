using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using OperatorConsole.Infrastructure.Logging;

namespace OperatorConsole.App.Hosting;

public static class LoggingSetup
{
    public static void AddConsoleLogging(this WebApplicationBuilder builder)
    {
        builder.Logging.ClearProviders();
        // Log lines are stamped by the same clock as everything else (a test's fake clock included).
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Logging.AddConsole(o => o.FormatterName = RedactingJsonFormatter.FormatterName)
            .AddConsoleFormatter<RedactingJsonFormatter, ConsoleFormatterOptions>(o => o.IncludeScopes = true);
    }
}

/// <summary>
/// One JSON object per line: time, level, category, message, state values and scopes (ASP.NET Core's request scope
/// adds RequestId and TraceId to every line of a request). Every string goes through <see cref="LogRedactor"/> so
/// phone numbers, e-mails and tokens never reach the log.
/// </summary>
public sealed class RedactingJsonFormatter(IOptionsMonitor<ConsoleFormatterOptions> options, TimeProvider clock) : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "redacting-json";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null) return;
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("time", clock.GetUtcNow().ToString("O"));
            json.WriteString("level", logEntry.LogLevel.ToString());
            json.WriteString("category", logEntry.Category);
            if (logEntry.EventId.Id != 0) json.WriteNumber("eventId", logEntry.EventId.Id);
            json.WriteString("message", LogRedactor.Redact(message));
            if (logEntry.Exception is not null) json.WriteString("exception", LogRedactor.Redact(logEntry.Exception.ToString()));
            if (logEntry.State is IReadOnlyList<KeyValuePair<string, object?>> state)
            {
                foreach (var (key, value) in state)
                {
                    if (key == "{OriginalFormat}") continue;
                    json.WriteString(key, LogRedactor.Redact(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)));
                }
            }
            if (options.CurrentValue.IncludeScopes && scopeProvider is not null)
            {
                scopeProvider.ForEachScope((scope, writer) =>
                {
                    if (scope is IEnumerable<KeyValuePair<string, object?>> pairs)
                    {
                        foreach (var (key, value) in pairs)
                        {
                            if (key == "{OriginalFormat}") continue;
                            writer.WriteString(key, LogRedactor.Redact(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)));
                        }
                    }
                }, json);
            }
            json.WriteEndObject();
        }
        textWriter.WriteLine(Encoding.UTF8.GetString(stream.ToArray()));
    }
}
