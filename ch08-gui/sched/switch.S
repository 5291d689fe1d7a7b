/*
 * switch.S: the context switch, the one step of threading C cannot write.
 *
 * void context_switch(uint64_t *save_rsp, uint64_t load_rsp)
 *
 * Pushes the registers the SysV ABI says a called function must preserve
 * (RBX, RBP, R12-R15) on the current stack, stores RSP in *save_rsp, loads
 * load_rsp and pops the other thread's six registers; RET then returns into
 * the other thread, at the point where it called context_switch. The other
 * registers need no saving: the C caller already assumes a call destroys them.
 */
    .text
    .global context_switch
context_switch:
    /* LAB(context-switch): push the registers a called function must
     * preserve on this stack, store RSP in *save_rsp (RDI), load load_rsp
     * (RSI) into RSP, pop the other thread's six registers (pushed in the
     * same order when it switched away) and return into it. */
    /* LAB-STUB: ud2 */
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    /* END LAB(context-switch) */

/*
 * thread_start: where a new thread's first context_switch "returns" to.
 * thread_create left the thread in R12 and a zero RBP (the end of the
 * backtrace) on its stack.
 */
    .global thread_start
thread_start:
    movq %r12, %rdi
    call thread_entry           /* void thread_entry(struct thread *t): never returns */
    ud2

    .section .note.GNU-stack, "", @progbits
