package fault

import (
	"fmt"
	"strings"
	"time"
)

// ParseSequence reads a sequence written as people type it, the CLI's --sequence and the
// console's form alike: steps separated by commas, each an error code, pass, drop,
// drop_after or a latency like 2s, joined with + (2s+SYSTEM_ERROR). It checks only the
// grammar; Add checks the steps.
func ParseSequence(v string) ([]Action, error) {
	var steps []Action
	for _, s := range strings.Split(v, ",") {
		var a Action
		for _, part := range strings.Split(strings.TrimSpace(s), "+") {
			switch part = strings.TrimSpace(part); {
			case part == "pass":
			case part == "drop":
				a.Drop = true
			case part == "drop_after" || part == "drop-after":
				a.DropAfter = true
			case part != "" && part[0] >= '0' && part[0] <= '9':
				d, err := time.ParseDuration(part)
				if err != nil {
					return nil, fmt.Errorf("step %q: %w", s, err)
				}
				a.Latency = d
			case part != "":
				a.Error = part
			default:
				return nil, fmt.Errorf("empty step in %q", v)
			}
		}
		steps = append(steps, a)
	}
	return steps, nil
}
