/* pic.h: the legacy 8259 interrupt controllers, switched off in favour of the APICs. */
#ifndef CUBOS_PIC_H
#define CUBOS_PIC_H

/* Move the 8259s' vectors out of the exception range, then mask every line. */
void pic_disable(void);

#endif
