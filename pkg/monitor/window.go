package monitor

// outcomeWindow counts correct predictions among the last len(outcomes)
// labelled ones.
type outcomeWindow struct {
	outcomes []bool
	next     int
	size     int
	correct  int
}

func newOutcomeWindow(n int) outcomeWindow {
	return outcomeWindow{outcomes: make([]bool, n)}
}

func (w *outcomeWindow) add(correct bool) {
	if w.size == len(w.outcomes) {
		if w.outcomes[w.next] {
			w.correct--
		}
	} else {
		w.size++
	}
	w.outcomes[w.next] = correct
	if correct {
		w.correct++
	}
	w.next = (w.next + 1) % len(w.outcomes)
}
