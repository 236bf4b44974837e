using System.Data.Common;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Revenue;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Reporting;

/// <summary>The periods the owner's home compares: today, the last 7 days or the last 30 days, each counted in whole days of the workspace's time zone.</summary>
public enum DashboardPeriod { Today, Week, Month }

public static class DashboardPeriods
{
    public static int Days(this DashboardPeriod period) => period switch { DashboardPeriod.Today => 1, DashboardPeriod.Month => 30, _ => 7 };

    /// <summary>The address form (<c>?period=7d</c>); unknown values open the default week.</summary>
    public static string ToQuery(this DashboardPeriod period) => period switch { DashboardPeriod.Today => "today", DashboardPeriod.Month => "30d", _ => "7d" };

    public static DashboardPeriod FromQuery(string? value) => value?.ToLowerInvariant() switch
    {
        "today" => DashboardPeriod.Today,
        "30d" => DashboardPeriod.Month,
        _ => DashboardPeriod.Week,
    };
}

/// <summary>
/// One day of conversations. A conversation counts on a day when it has a message that day (from the customer, the bot or a
/// person; the team's internal notices are not counted), and is split by who answered it that day: a person (at least one
/// message from an agent), only the bot, or nobody yet.
/// </summary>
public sealed record DashboardDay(DateOnly Day, int Human, int Bot, int Unanswered)
{
    public int Total => Human + Bot + Unanswered;
}

/// <summary>
/// Why conversations went to a person: the handoff reasons as groups, and takeovers an agent made while the bot was
/// answering (not counted: an agent picking up a conversation that was already handed off).
/// </summary>
public enum HandoffGroup { Keyword, BotEscalated, FailingTurn, MessageCount, ManualTakeover }

public sealed record DashboardStage(Guid Id, string Name, string Color, StageKind Kind, int Leads);

public sealed record DashboardMoney(string Currency, int Paid, decimal Revenue, int Sent);

public sealed record DashboardSummary(
    DashboardPeriod Period,
    string TimeZone,
    DateTimeOffset From,
    DateTimeOffset To,
    bool HasConversations,
    IReadOnlyList<DashboardDay> Days,
    int Conversations,
    int ConversationsByHuman,
    int ConversationsByBot,
    int ConversationsUnanswered,
    int CustomerMessages,
    int BotMessages,
    int HumanMessages,
    int FirstResponsesAsked,
    int FirstResponsesAnswered,
    TimeSpan? MedianFirstResponse,
    IReadOnlyDictionary<HandoffGroup, int> Handoffs,
    IReadOnlyList<DashboardStage> Stages,
    IReadOnlyDictionary<LeadTemperature, int> Temperatures,
    int NewLeads,
    IReadOnlyDictionary<AppointmentStatus, int> Appointments,
    int UpcomingAppointments,
    IReadOnlyList<DashboardMoney> Payments,
    TimeSpan QueryTime)
{
    public int HandoffTotal => Handoffs.Values.Sum();
    public int Leads => Stages.Sum(s => s.Leads);
    public int AppointmentTotal => Appointments.Values.Sum();
}

/// <summary>
/// The figures of the owner's home in one round trip: seven statements sent as one batch, each over the tenant's own rows
/// (row-level security, and an explicit tenant filter so every statement walks a tenant-first index). Messages are
/// reached through the conversations active since the period began (last_message_at index), then each conversation's
/// messages by (tenant, conversation, sent_at); nothing is loaded row by row.
/// </summary>
public sealed class DashboardQueries(ContextScopes scopes, TimeProvider clock)
{
    // Enum values are literals (see SqlText): the same strings EF stores.
    private static readonly string Inbound = nameof(MessageDirection.Inbound);
    private static readonly string Bot = nameof(MessageSender.Bot);
    private static readonly string Agent = nameof(MessageSender.Agent);
    private static readonly string Contact = nameof(MessageSender.Contact);

    private static readonly string ActivitySql = $"""
        WITH m AS (
            SELECT m.conversation_id, m.direction, m.sender, (m.sent_at AT TIME ZONE $4)::date AS day
            FROM conversations c
            JOIN messages m ON m.tenant_id = $1 AND m.conversation_id = c.id AND m.sent_at >= $2 AND m.sent_at < $3
            WHERE c.tenant_id = $1 AND c.last_message_at >= $2 AND m.sender IN ('{Contact}', '{Bot}', '{Agent}')
        ), per_day AS (
            SELECT day, conversation_id, bool_or(sender = '{Agent}') AS human, bool_or(sender = '{Bot}') AS bot,
                   count(*) FILTER (WHERE direction = '{Inbound}') AS customer_messages,
                   count(*) FILTER (WHERE sender = '{Bot}') AS bot_messages,
                   count(*) FILTER (WHERE sender = '{Agent}') AS human_messages
            FROM m GROUP BY day, conversation_id
        ), whole AS (
            SELECT NULL::date AS day, conversation_id, bool_or(human), bool_or(bot),
                   sum(customer_messages), sum(bot_messages), sum(human_messages)
            FROM per_day GROUP BY conversation_id
        )
        SELECT day, count(*) FILTER (WHERE human)::int, count(*) FILTER (WHERE bot AND NOT human)::int,
               count(*) FILTER (WHERE NOT bot AND NOT human)::int,
               coalesce(sum(customer_messages), 0)::int, coalesce(sum(bot_messages), 0)::int, coalesce(sum(human_messages), 0)::int
        FROM (SELECT * FROM per_day UNION ALL SELECT * FROM whole) x
        GROUP BY day ORDER BY day NULLS FIRST
        """;

    // Per conversation: the customer's first message in the period, and the first answer after it from the bot or a person.
    private static readonly string FirstResponseSql = $"""
        WITH asked AS (
            SELECT m.conversation_id, min(m.sent_at) AS at
            FROM conversations c
            JOIN messages m ON m.tenant_id = $1 AND m.conversation_id = c.id AND m.sent_at >= $2 AND m.sent_at < $3
            WHERE c.tenant_id = $1 AND c.last_message_at >= $2 AND m.direction = '{Inbound}'
            GROUP BY m.conversation_id
        )
        SELECT count(*)::int, count(r.at)::int,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.at - a.at))::float8
        FROM asked a
        LEFT JOIN LATERAL (
            SELECT min(m.sent_at) AS at FROM messages m
            WHERE m.tenant_id = $1 AND m.conversation_id = a.conversation_id AND m.sent_at >= a.at AND m.sender IN ('{Bot}', '{Agent}')
        ) r ON true
        """;

    // A takeover is "manual" when the bot had the conversation: no earlier ownership event, or the last one handed it back.
    private static readonly string HandoffSql = $"""
        SELECT e.type, e.data ->> 'reason', count(*)::int
        FROM conversation_events e
        LEFT JOIN LATERAL (
            SELECT p.type FROM conversation_events p
            WHERE e.type = '{nameof(ConversationEventType.TakenOver)}' AND p.tenant_id = $1 AND p.conversation_id = e.conversation_id
              AND p.created_at < e.created_at
              AND p.type IN ('{nameof(ConversationEventType.HandedOff)}', '{nameof(ConversationEventType.HandedBack)}',
                             '{nameof(ConversationEventType.TakenOver)}', '{nameof(ConversationEventType.Assigned)}')
            ORDER BY p.created_at DESC LIMIT 1
        ) prev ON true
        WHERE e.tenant_id = $1 AND e.created_at >= $2 AND e.created_at < $3
          AND (e.type = '{nameof(ConversationEventType.HandedOff)}'
               OR (e.type = '{nameof(ConversationEventType.TakenOver)}'
                   AND (prev.type IS NULL OR prev.type = '{nameof(ConversationEventType.HandedBack)}')))
        GROUP BY 1, 2
        """;

    private const string StagesSql = """
        SELECT s.id, s.name, s.color, s.kind, count(k.id)::int
        FROM pipeline_stages s
        LEFT JOIN contacts k ON k.tenant_id = $1 AND k.stage_id = s.id
        WHERE s.tenant_id = $1
        GROUP BY s.id, s.name, s.color, s.kind, s.position ORDER BY s.position
        """;

    private const string TemperatureSql = """
        SELECT temperature, count(*)::int, count(*) FILTER (WHERE created_at >= $2 AND created_at < $3)::int
        FROM contacts WHERE tenant_id = $1 GROUP BY temperature
        """;

    private static readonly string AppointmentSql = $"""
        SELECT status, count(*) FILTER (WHERE starts_at >= $2 AND starts_at < $3)::int,
               count(*) FILTER (WHERE starts_at >= $5 AND status IN ('{nameof(AppointmentStatus.Pending)}', '{nameof(AppointmentStatus.Confirmed)}'))::int
        FROM appointments WHERE tenant_id = $1 AND starts_at >= least($2, $5) GROUP BY status
        """;

    // Revenue is what was paid in the period (a refunded link no longer counts); "sent" is links created in the period.
    private static readonly string PaymentSql = $"""
        SELECT currency,
               count(*) FILTER (WHERE status = '{nameof(PaymentLinkStatus.Paid)}' AND paid_at >= $2 AND paid_at < $3)::int,
               coalesce(sum(amount) FILTER (WHERE status = '{nameof(PaymentLinkStatus.Paid)}' AND paid_at >= $2 AND paid_at < $3), 0),
               count(*) FILTER (WHERE created_at >= $2 AND created_at < $3)::int
        FROM payment_links WHERE tenant_id = $1 AND (created_at >= $2 OR paid_at >= $2) GROUP BY currency ORDER BY currency
        """;

    private const string AnyConversationSql = "SELECT EXISTS (SELECT 1 FROM conversations WHERE tenant_id = $1)";

    public async Task<DashboardSummary> SummaryAsync(Guid tenantId, DashboardPeriod period, CancellationToken ct = default)
    {
        var watch = Stopwatch.StartNew();
        await using var work = scopes.ForTenant(tenantId);
        var db = work.Db;
        var zoneId = await db.Tenants.Where(t => t.Id == tenantId).Select(t => t.TimeZone).SingleAsync(ct);
        var zone = TimeZoneInfo.TryFindSystemTimeZoneById(zoneId, out var z) ? z : TimeZoneInfo.Utc;
        var now = clock.GetUtcNow();
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
        var firstDay = today.AddDays(1 - period.Days());
        var from = StartOf(firstDay, zone);
        var to = StartOf(today.AddDays(1), zone);

        // Opened through EF so the tenant interceptor sets the session's tenant for row-level security.
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            var connection = (NpgsqlConnection)db.Database.GetDbConnection();
            await using var batch = new NpgsqlBatch(connection);
            foreach (var sql in new[] { AnyConversationSql, ActivitySql, FirstResponseSql, HandoffSql, StagesSql, TemperatureSql, AppointmentSql, PaymentSql })
            {
                var command = new NpgsqlBatchCommand(sql);
                // Positional parameters; a statement that does not use the last ones still gets them (PostgreSQL allows unused).
                command.Parameters.Add(new NpgsqlParameter { Value = tenantId, NpgsqlDbType = NpgsqlDbType.Uuid });
                command.Parameters.Add(new NpgsqlParameter { Value = from, NpgsqlDbType = NpgsqlDbType.TimestampTz });
                command.Parameters.Add(new NpgsqlParameter { Value = to, NpgsqlDbType = NpgsqlDbType.TimestampTz });
                command.Parameters.Add(new NpgsqlParameter { Value = zone.Id, NpgsqlDbType = NpgsqlDbType.Text });
                command.Parameters.Add(new NpgsqlParameter { Value = now, NpgsqlDbType = NpgsqlDbType.TimestampTz });
                batch.BatchCommands.Add(command);
            }
            await using var reader = await batch.ExecuteReaderAsync(ct);

            await reader.ReadAsync(ct);
            var hasConversations = reader.GetBoolean(0);

            await reader.NextResultAsync(ct);
            var byDay = new Dictionary<DateOnly, DashboardDay>();
            int human = 0, bot = 0, unanswered = 0, customerMessages = 0, botMessages = 0, humanMessages = 0;
            while (await reader.ReadAsync(ct))
            {
                if (reader.IsDBNull(0))
                {
                    (human, bot, unanswered) = (reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3));
                    (customerMessages, botMessages, humanMessages) = (reader.GetInt32(4), reader.GetInt32(5), reader.GetInt32(6));
                }
                else
                {
                    var day = reader.GetFieldValue<DateOnly>(0);
                    byDay[day] = new DashboardDay(day, reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3));
                }
            }
            var days = Enumerable.Range(0, period.Days()).Select(i => firstDay.AddDays(i))
                .Select(d => byDay.GetValueOrDefault(d) ?? new DashboardDay(d, 0, 0, 0)).ToList();

            await reader.NextResultAsync(ct);
            await reader.ReadAsync(ct);
            var asked = reader.GetInt32(0);
            var answered = reader.GetInt32(1);
            TimeSpan? median = reader.IsDBNull(2) ? null : TimeSpan.FromSeconds(Math.Round(reader.GetDouble(2)));

            await reader.NextResultAsync(ct);
            var handoffs = Enum.GetValues<HandoffGroup>().ToDictionary(g => g, _ => 0);
            while (await reader.ReadAsync(ct))
            {
                var group = reader.GetString(0) == nameof(ConversationEventType.TakenOver)
                    ? HandoffGroup.ManualTakeover
                    : GroupOf(reader.IsDBNull(1) ? null : reader.GetString(1));
                handoffs[group] += reader.GetInt32(2);
            }

            await reader.NextResultAsync(ct);
            var stages = new List<DashboardStage>();
            while (await reader.ReadAsync(ct))
                stages.Add(new DashboardStage(reader.GetGuid(0), reader.GetString(1), reader.GetString(2),
                    Enum.Parse<StageKind>(reader.GetString(3)), reader.GetInt32(4)));

            await reader.NextResultAsync(ct);
            var temperatures = Enum.GetValues<LeadTemperature>().ToDictionary(t => t, _ => 0);
            var newLeads = 0;
            while (await reader.ReadAsync(ct))
            {
                if (Enum.TryParse<LeadTemperature>(reader.GetString(0), out var t)) temperatures[t] = reader.GetInt32(1);
                newLeads += reader.GetInt32(2);
            }

            await reader.NextResultAsync(ct);
            var appointments = Enum.GetValues<AppointmentStatus>().ToDictionary(s => s, _ => 0);
            var upcoming = 0;
            while (await reader.ReadAsync(ct))
            {
                if (Enum.TryParse<AppointmentStatus>(reader.GetString(0), out var s)) appointments[s] = reader.GetInt32(1);
                upcoming += reader.GetInt32(2);
            }

            await reader.NextResultAsync(ct);
            var payments = new List<DashboardMoney>();
            while (await reader.ReadAsync(ct))
                payments.Add(new DashboardMoney(reader.GetString(0), reader.GetInt32(1), reader.GetDecimal(2), reader.GetInt32(3)));

            return new DashboardSummary(period, zone.Id, from, to, hasConversations, days, human + bot + unanswered, human, bot, unanswered,
                customerMessages, botMessages, humanMessages, asked, answered, median, handoffs, stages, temperatures, newLeads,
                appointments, upcoming, payments, watch.Elapsed);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>Midnight of <paramref name="day"/> in the zone (the first valid instant on a day whose midnight a DST change skips).</summary>
    private static DateTimeOffset StartOf(DateOnly day, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(TimeOnly.MinValue);
        while (zone.IsInvalidTime(local)) local = local.AddMinutes(30);
        return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
    }

    /// <summary>The handoff reasons (stored in the HandedOff event) as the owner reads them.</summary>
    public static HandoffGroup GroupOf(string? reason) => Enum.TryParse<HandoffReason>(reason, out var r) ? r switch
    {
        HandoffReason.Keyword => HandoffGroup.Keyword,
        HandoffReason.MessageCountLimit => HandoffGroup.MessageCount,
        HandoffReason.AgentError or HandoffReason.RepeatedFailures => HandoffGroup.FailingTurn,
        HandoffReason.HumanReplied => HandoffGroup.ManualTakeover,
        // Asked for by the bot (escalate_to_human) or by the lead analysis: the customer asked, is upset, a payment or a big lead.
        _ => HandoffGroup.BotEscalated,
    } : HandoffGroup.BotEscalated;
}
