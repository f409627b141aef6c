using System.Globalization;

namespace Strata.LoadBalancing.HaProxy;

/// <summary>Reads the CSV of <c>show stat</c> into <see cref="LoadBalancerStats"/>.</summary>
internal static class HaProxyStats
{
    public static LoadBalancerStats Parse(string id, string csv, DateTimeOffset timestamp, IReadOnlyList<HaProxyMemberDocument> members)
    {
        var rows = Rows(csv);
        var slots = rows.Where(r => r["pxname"] == HaProxyConfig.Backend).ToDictionary(r => r["svname"], StringComparer.Ordinal);
        var frontend5xx = rows.Where(r => r["pxname"] == id && r["svname"] == "FRONTEND").Sum(r => Long(r, "hrsp_5xx"));
        var backend5xx = rows.Where(r => r["svname"] == "BACKEND").Sum(r => Long(r, "hrsp_5xx"));
        return new LoadBalancerStats
        {
            Id = id,
            Timestamp = timestamp,
            NoMemberResponses = Math.Max(0, frontend5xx - backend5xx),
            OpenConnections = (int)rows.Where(r => r["pxname"] == id && r["svname"] == "FRONTEND").Sum(r => Long(r, "scur")),
            Members = [.. members.Where(m => slots.ContainsKey(m.Slot)).Select(m => Member(slots[m.Slot], m))],
        };
    }

    /// <summary>Current sessions per server slot, to tell when a draining member is done.</summary>
    public static Dictionary<string, int> Sessions(string csv) =>
        Rows(csv).Where(r => r["pxname"] == HaProxyConfig.Backend && r["svname"] is not ("BACKEND" or "FRONTEND"))
            .ToDictionary(r => r["svname"], r => (int)Long(r, "scur"), StringComparer.Ordinal);

    /// <summary>
    /// The counters of the member's slot. They are the slot's since haproxy started, so a member that took over a
    /// slot inherits its predecessors' totals; rates come from differences and stay right.
    /// </summary>
    private static MemberStats Member(Dictionary<string, string> row, HaProxyMemberDocument member)
    {
        return new MemberStats
        {
            Name = member.Name,
            State = member.State,
            Ejected = row["status"].StartsWith("DOWN", StringComparison.Ordinal),
            InFlight = (int)Long(row, "scur"),
            OpenConnections = (int)(Long(row, "used_conn_cur") + Long(row, "idle_conn_cur") + Long(row, "safe_conn_cur")),
            Requests = Long(row, "stot"),
            Errors = Long(row, "econ") + Long(row, "eresp") + Long(row, "hrsp_5xx"),
            Retried = Long(row, "wretr") + Long(row, "wredis"),
            LatencyP50 = TimeSpan.FromMilliseconds(Long(row, "ttime")),
            LatencyP99 = TimeSpan.FromMilliseconds(Long(row, "ttime_max")),
        };
    }

    private static List<Dictionary<string, string>> Rows(string csv)
    {
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0 || !lines[0].StartsWith("# ", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"haproxy answered 'show stat' with: {csv}");
        }

        var header = lines[0][2..].Split(',');
        return [.. lines.Skip(1).Select(line => line.Split(','))
            .Select(cells => header.Zip(cells).Where(p => p.First.Length > 0).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal))];
    }

    private static long Long(Dictionary<string, string> row, string column) =>
        row.TryGetValue(column, out var text) && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : 0;
}
