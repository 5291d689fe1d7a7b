"""ch07-net: Linux programs and processes still run as in ch06. The
chapter adds drivers and leaves ch06's system calls as they were, so it
runs the ch06 program tests that show a different kernel still works
(hello, threads, the sha1 REPL, the Go sieve, faults, busybox pipelines
and Ctrl-C), not the long soak, memory and process-program runs, which
`make test CH=ch06-syscalls` covers for the code both share."""
from harness import chapter_tests

chapter_tests("ch06-syscalls", "test_programs.py", globals(),
              skip=("test_memory_comes_back_after_many_programs",
                    "test_fuzzer_with_smap_leaves_the_kernel_up_and_its_memory_back",
                    "test_extra_root_adds_a_folder_to_the_initrd",
                    "test_bad_pointers_give_efault_with_and_without_smap",
                    "test_unimplemented_calls_give_enosys_reported_once_per_number"))
chapter_tests("ch06-syscalls", "test_processes.py", globals(),
              skip=("test_the_process_test_programs_pass_and_give_their_memory_back",
                    "test_memory_comes_back_after_thousands_of_forks",
                    "test_memory_comes_back_after_a_thousand_fork_and_exec",
                    "test_copy_on_write_pages_are_freed",
                    "test_memory_comes_back_after_a_fork_bomb",
                    "test_memory_comes_back_after_sigkill_of_a_blocked_reader",
                    "test_forged_signal_frames_are_sanitised_or_killed",
                    "test_a_shell_on_a_pseudo_terminal",
                    "test_sh_redirection_and_a_script",
                    "test_sh_exit_statuses",
                    "test_sh_background_jobs_and_wait",
                    "test_sh_ctrl_z_stops_the_foreground_job",
                    "test_sh_exit_leaves_a_background_job_to_init",
                    "test_sh_as_init_passes_its_exit_status_to_qemu",
                    "test_vi_writes_a_file"))
