using System.Diagnostics;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Revenue;
using OperatorConsole.Infrastructure.Reminders;
using OperatorConsole.Tests.Scheduling;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Reminders;

/// <summary>
/// bench/reminders.sh: N appointment reminders due in the same minute, fired by two nodes' clustered Quartz. Runs only
/// with CONSOLE_BENCH_REMINDERS=N (it takes minutes); writes its figures to TestResults/bench-reminders.txt.
/// </summary>
[Trait("Category", "Benchmark")]
public class ReminderBenchmark(TwoSchedulingNodes nodes) : IClassFixture<TwoSchedulingNodes>
{
    [Fact]
    public async Task Reminders_due_in_one_minute_are_all_sent_within_it_each_once()
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable("CONSOLE_BENCH_REMINDERS"), out var count) || count <= 0) return;
        var report = new List<string>();
        var tenant = await nodes.A.TenantAsync();
        var resource = (await nodes.A.Services.GetRequiredService<OperatorConsole.Infrastructure.Appointments.AppointmentCommands>().AvailabilityAsync(tenant.Id, default)).Resources.Single(r => r.IsDefault).Id;
        await nodes.A.Services.GetRequiredService<ReminderSettingsStore>().SaveAsync(tenant.Id, [1], null, null, null);
        var first = await nodes.A.ConversationAsync(tenant.Id, "Bench 0");
        var channelId = first.ChannelId;

        // One workspace holds them all: appointments of 4 ms one after the other (the overlap constraint is per workspace),
        // so every reminder ("1 minute before") falls inside one minute.
        var clock = Stopwatch.StartNew();
        var now = DateTimeOffset.UtcNow;
        var firstStart = now.AddSeconds(Math.Max(120, count / 60));
        var slot = TimeSpan.FromMilliseconds(4);
        var ids = new List<Guid>(count);
        for (var batch = 0; batch < count; batch += 500)
        {
            await using var work = nodes.A.Scopes.ForTenant(tenant.Id);
            var conversations = new List<Conversation>();
            for (var i = batch; i < Math.Min(count, batch + 500); i++)
            {
                var contact = OperatorConsole.Domain.Contacts.Contact.Create(tenant.Id, $"Cliente {i}", null, now);
                var conversation = Conversation.Start(tenant.Id, channelId, contact.Id, now);
                conversation.RecordInbound(now, OperatorConsole.Domain.Channels.ChannelKind.WhatsApp, false, "Hola");
                work.Db.Contacts.Add(contact);
                work.Db.Conversations.Add(conversation);
                conversations.Add(conversation);
            }
            await work.Db.SaveChangesAsync();
            for (var k = 0; k < conversations.Count; k++)
            {
                var c = conversations[k];
                var a = Appointment.Book(tenant.Id, c.ContactId, resource, c.Id, firstStart + slot * (batch + k), slot, null, null, null, DateTimeOffset.UtcNow);
                work.Db.Appointments.Add(a);
                work.Db.Raise(new AppointmentBooked(tenant.Id, a.Id, a.ContactId, a.ConversationId, a.StartsAt, a.EndsAt));
                ids.Add(a.Id);
            }
            await work.Db.SaveChangesAsync();
        }
        report.Add($"booked {count} appointments (reminders planned in the same saves) in {clock.Elapsed.TotalSeconds:0.0} s");

        DateTimeOffset firstDue, lastDue;
        await using (var work = nodes.A.Scopes.ForTenant(tenant.Id))
        {
            var q = work.Db.ScheduledItems.Where(i => i.Kind == ScheduledItemKind.AppointmentReminder);
            firstDue = await q.MinAsync(i => i.At);
            lastDue = await q.MaxAsync(i => i.At);
        }
        report.Add($"reminders due from {firstDue:HH:mm:ss.fff} to {lastDue:HH:mm:ss.fff} UTC ({(lastDue - firstDue).TotalSeconds:0.0} s)");

        var settled = await Eventually.GetAsync(async () =>
        {
            await using var work = nodes.A.Scopes.ForTenant(tenant.Id);
            return await work.Db.ScheduledItems.CountAsync(i => i.Kind == ScheduledItemKind.AppointmentReminder && i.Status != ScheduledItemStatus.Pending);
        }, n => n >= count, "every reminder to settle", lastDue - DateTimeOffset.UtcNow + TimeSpan.FromMinutes(5));

        await using (var work = nodes.A.Scopes.ForTenant(tenant.Id))
        {
            var items = await work.Db.ScheduledItems.AsNoTracking().Where(i => i.Kind == ScheduledItemKind.AppointmentReminder)
                .Select(i => new { i.At, i.SettledAt, i.Status, i.Outcome, i.MessageId }).ToListAsync();
            var done = items.Count(i => i.Status == ScheduledItemStatus.Done);
            var lateness = items.Where(i => i.SettledAt is not null).Select(i => (i.SettledAt!.Value - i.At).TotalMilliseconds).Order().ToList();
            var messages = await work.Db.Messages.CountAsync(m => m.Direction == MessageDirection.Outbound);
            var distinct = items.Where(i => i.MessageId is not null).Select(i => i.MessageId).Distinct().Count();
            var lastSettled = items.Max(i => i.SettledAt!.Value);
            report.Add($"done {done}/{count}; outbound messages {messages} (distinct per item {distinct}) -> each once: {messages == count && distinct == count}");
            report.Add($"lateness after due: p50 {P(lateness, 0.5):0} ms, p95 {P(lateness, 0.95):0} ms, max {lateness[^1]:0} ms");
            report.Add($"last reminder sent {(lastSettled - firstDue).TotalSeconds:0.0} s after the first was due " +
                       $"(within the minute: {lastSettled < firstDue.AddMinutes(1)})");
            report.Add("outcomes: " + string.Join(", ", items.GroupBy(i => $"{i.Status}{(i.Outcome is { } o ? $" ({o})" : "")}")
                .OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}")));
            report.Add($"load average at the end: {LoadAverage()}");
            // The figures are written before the verdict, so a run that misses the target still says by how much.
            var path = Path.Combine(OperatorConsole.App.Hosting.AppPaths.ContentRoot, "TestResults", "bench-reminders.txt");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllLinesAsync(path, report);
            Assert.Equal(count, done);
            Assert.Equal(count, messages);
        }
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static double P(List<double> sorted, double q) => sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)(q * sorted.Count))];
}
