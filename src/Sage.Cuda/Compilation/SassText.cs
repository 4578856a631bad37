using System.Text.RegularExpressions;

namespace Sage.Cuda;

/// <summary>
/// Reads the text of <c>cuobjdump -sass</c> and <c>cuobjdump -res-usage</c> into <see cref="SassFunctionSummary"/>s.
/// Pure text: no CUDA needed, so it is tested on any machine.
/// </summary>
public static partial class SassText
{
    // "        Function : solo_d128_f16x2"
    [GeneratedRegex(@"^\s*Function\s*:\s*(\S+)\s*$")]
    private static partial Regex FunctionHeader();

    // "        /*0d40*/              @!P0 BRA `(.L_x_3) ;" → address 0xd40, opcode BRA (an optional guard predicate first).
    [GeneratedRegex(@"^\s*/\*([0-9a-fA-F]+)\*/\s+(?:@!?U?P[T0-9]+\s+)?([A-Z][A-Z0-9_]*)(?:\.\S*)?")]
    private static partial Regex Instruction();

    // The target of a branch that cuobjdump prints as an address: "BRA 0x2c80", "BRA.U.ANY 0x9570" (nvdisasm's labels,
    // "BRA `(.L_x_3)", are not resolved: such a branch is not counted as a loop).
    [GeneratedRegex(@"\bBRA(?:\.[A-Z.]+)?\s+0x([0-9a-fA-F]+)")]
    private static partial Regex BranchTarget();

    // " Function solo_d128_f16x2:" then "  REG:168 STACK:0 SHARED:0 LOCAL:0 ..."
    [GeneratedRegex(@"^\s*Function\s+([^\s:]+):\s*$")]
    private static partial Regex UsageHeader();

    [GeneratedRegex(@"\bREG:(\d+)")]
    private static partial Regex UsageRegisters();

    [GeneratedRegex(@"\bSTACK:(\d+)")]
    private static partial Regex UsageStack();

    [GeneratedRegex(@"\bLOCAL:(\d+)")]
    private static partial Regex UsageLocal();

    /// <summary>
    /// The kernels of <paramref name="sass"/> in order of appearance, with registers, stack and local memory from
    /// <paramref name="resourceUsage"/> where given.
    /// </summary>
    public static IReadOnlyList<SassFunctionSummary> Summarise(string sass, string? resourceUsage = null)
    {
        ArgumentNullException.ThrowIfNull(sass);
        var usage = resourceUsage is null ? new Dictionary<string, (int?, int?, int?)>() : ResourceUsage(resourceUsage);
        return Functions(sass).Select(listing => Summarise(listing, usage)).ToList();
    }

    /// <summary>
    /// One function of a listing (<see cref="Functions"/>), with its registers, stack and local memory from
    /// <paramref name="usage"/> (<see cref="ResourceUsage"/>) where it names the function.
    /// </summary>
    public static SassFunctionSummary Summarise(SassListing listing,
        IReadOnlyDictionary<string, (int? Registers, int? StackBytes, int? LocalBytes)> usage)
    {
        ArgumentNullException.ThrowIfNull(listing);
        ArgumentNullException.ThrowIfNull(usage);
        var opcodes = new Dictionary<string, int>(StringComparer.Ordinal);
        int instructions = 0;
        foreach (string line in listing.Text.Split('\n'))
        {
            var instruction = Instruction().Match(line);
            if (!instruction.Success) continue;
            string opcode = instruction.Groups[2].Value;
            opcodes[opcode] = opcodes.GetValueOrDefault(opcode) + 1;
            instructions++;
        }
        var (registers, stack, local) = usage.TryGetValue(listing.Name, out var u) ? u : (null, null, null);
        int largestLoop = Loops(listing.Text).Select(l => l.Instructions).DefaultIfEmpty(0).Max();
        return new SassFunctionSummary(listing.Name, instructions, opcodes, registers, stack, local, largestLoop);
    }

    /// <summary>The functions of <paramref name="sass"/> in order of appearance, each with its own lines (header included).</summary>
    public static IReadOnlyList<SassListing> Functions(string sass)
    {
        ArgumentNullException.ThrowIfNull(sass);
        var result = new List<SassListing>();
        string? name = null;
        var text = new System.Text.StringBuilder();
        foreach (string line in sass.Split('\n'))
        {
            var header = FunctionHeader().Match(line);
            if (header.Success)
            {
                if (name is not null) result.Add(new SassListing(name, text.ToString()));
                name = header.Groups[1].Value;
                text.Clear();
            }
            if (name is not null) text.Append(line.TrimEnd('\r')).Append('\n');
        }
        if (name is not null) result.Add(new SassListing(name, text.ToString()));
        return result;
    }

    /// <summary>
    /// The loops of one function's SASS (<see cref="SassListing.Text"/>): every branch to an address at or before its own
    /// closes a loop from that address to the branch, and the loop holds the instructions between them, both included (all
    /// paths through the body, not the instructions one iteration runs). Nested or overlapping loops are listed each.
    /// </summary>
    public static IReadOnlyList<SassLoop> Loops(string functionText)
    {
        ArgumentNullException.ThrowIfNull(functionText);
        var addresses = new List<int>();
        var loops = new List<(int Start, int End)>();
        foreach (string line in functionText.Split('\n'))
        {
            var instruction = Instruction().Match(line);
            if (!instruction.Success) continue;
            int address = Convert.ToInt32(instruction.Groups[1].Value, 16);
            addresses.Add(address);
            var target = BranchTarget().Match(line);
            if (!target.Success) continue;
            int start = Convert.ToInt32(target.Groups[1].Value, 16);
            if (start <= address) loops.Add((start, address));
        }
        return loops.Select(l => new SassLoop(l.Start, l.End, addresses.Count(a => a >= l.Start && a <= l.End))).ToList();
    }

    /// <summary>Registers, stack frame and local bytes per function from <c>cuobjdump -res-usage</c>.</summary>
    public static Dictionary<string, (int? Registers, int? StackBytes, int? LocalBytes)> ResourceUsage(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new Dictionary<string, (int?, int?, int?)>(StringComparer.Ordinal);
        string? name = null;
        foreach (string line in text.Split('\n'))
        {
            var header = UsageHeader().Match(line);
            if (header.Success)
            {
                name = header.Groups[1].Value;
                continue;
            }
            if (name is null) continue;
            var registers = UsageRegisters().Match(line);
            if (!registers.Success) continue;
            var stack = UsageStack().Match(line);
            var local = UsageLocal().Match(line);
            result[name] = (int.Parse(registers.Groups[1].Value), stack.Success ? int.Parse(stack.Groups[1].Value) : null,
                local.Success ? int.Parse(local.Groups[1].Value) : null);
            name = null;
        }
        return result;
    }
}
